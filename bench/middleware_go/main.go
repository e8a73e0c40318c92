/* SPDX-License-Identifier: Apache-2.0 */
// The Go twin of examples/embed_mhd for bench/middleware.sh: the same
// /hello route ("hello\n"), bare or wrapped in client_golang's promhttp
// InstrumentHandlerInFlight / Counter / Duration / RequestSize /
// ResponseSize chain with the metric names promc's middleware uses, and
// /metrics on the same server.
//
//	middleware_go -listen 127.0.0.1:PORT [-bare]
//	middleware_go -inproc N -rounds R   the chain's own cost: N ServeHTTP
//	                                    calls per round, chain and bare
//	                                    alternating, no network
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address:port")
	bare := flag.Bool("bare", false, "no instrumentation")
	inproc := flag.Int("inproc", 0, "requests per round of the in-process benchmark (0: serve)")
	rounds := flag.Int("rounds", 7, "rounds of the in-process benchmark")
	flag.Parse()
	if *inproc > 0 {
		inProcess(*inproc, *rounds)
		return
	}
	hello, reg := handlers(*bare)
	mux := http.NewServeMux()
	mux.Handle("/hello", hello)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if err := http.ListenAndServe(*listen, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// handlers gives the /hello handler, bare or in the promhttp chain, and its registry.
func handlers(bare bool) (http.Handler, *prometheus.Registry) {
	var hello http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("hello\n"))
	})
	reg := prometheus.NewRegistry()
	if bare {
		return hello, reg
	}
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "http_requests_in_flight", Help: "Requests being served."})
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: "Requests answered."}, []string{"method", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "Request durations.",
		Buckets: prometheus.DefBuckets}, []string{"method", "code"})
	sizeBuckets := []float64{64, 256, 1024, 4096, 16384, 65536, 262144, 1048576}
	reqSize := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_size_bytes", Help: "Request sizes.", Buckets: sizeBuckets},
		[]string{"method", "code"})
	respSize := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_response_size_bytes", Help: "Response sizes.", Buckets: sizeBuckets},
		[]string{"method", "code"})
	reg.MustRegister(inFlight, total, duration, reqSize, respSize)
	return promhttp.InstrumentHandlerInFlight(inFlight,
		promhttp.InstrumentHandlerCounter(total,
			promhttp.InstrumentHandlerDuration(duration,
				promhttp.InstrumentHandlerRequestSize(reqSize,
					promhttp.InstrumentHandlerResponseSize(respSize, hello))))), reg
}

// nopWriter is a ResponseWriter that keeps nothing, reused across calls.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

func inProcess(n, rounds int) {
	chain, _ := handlers(false)
	bare, _ := handlers(true)
	req := httptest.NewRequest("GET", "/hello", nil)
	w := &nopWriter{h: http.Header{}}
	run := func(h http.Handler) float64 {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			h.ServeHTTP(w, req)
		}
		return float64(time.Since(t0).Nanoseconds()) / float64(n)
	}
	run(chain)
	run(bare)
	var a, b, d []float64
	for r := 0; r < rounds; r++ {
		x, y := run(chain), run(bare)
		a, b, d = append(a, x), append(b, y), append(d, x-y)
	}
	sort.Float64s(a)
	sort.Float64s(b)
	sort.Float64s(d)
	fmt.Printf("go_mw_inproc %.0f ns\ngo_bare_inproc %.0f ns\ngo_mw_overhead %.0f ns (rounds %.0f..%.0f)\n",
		a[rounds/2], b[rounds/2], d[rounds/2], d[0], d[rounds-1])
}
