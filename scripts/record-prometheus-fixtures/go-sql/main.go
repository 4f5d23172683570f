// Records the exposition of client_golang's database/sql collector (collectors.NewDBStatsCollector)
// after a burst that makes goroutines wait for the pool. Usage: go run . <postgresURL> <outFile>
package main

import (
	"database/sql"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	db, err := sql.Open("pgx", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewDBStatsCollector(db, "app"))

	// 6 goroutines × 20 queries holding a connection 30 ms each: most of them wait.
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := db.Exec("SELECT pg_sleep(0.03)"); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()

	// Served and read over HTTP, exactly as a scraper sees it.
	server := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	defer server.Close()
	res, err := http.Get(server.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(os.Args[2], body, 0o644); err != nil {
		log.Fatal(err)
	}
}
