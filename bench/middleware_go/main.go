// The Go twin of examples/embed_mhd for bench/middleware.sh: the same
// /hello route ("hello\n"), bare or wrapped in client_golang's promhttp
// InstrumentHandlerInFlight / Counter / Duration / RequestSize /
// ResponseSize chain with the metric names promc's middleware uses, and
// /metrics on the same server.
//
//	middleware_go -listen 127.0.0.1:PORT [-bare]
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address:port")
	bare := flag.Bool("bare", false, "no instrumentation")
	flag.Parse()

	var hello http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("hello\n"))
	})
	reg := prometheus.NewRegistry()
	if !*bare {
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
		hello = promhttp.InstrumentHandlerInFlight(inFlight,
			promhttp.InstrumentHandlerCounter(total,
				promhttp.InstrumentHandlerDuration(duration,
					promhttp.InstrumentHandlerRequestSize(reqSize,
						promhttp.InstrumentHandlerResponseSize(respSize, hello)))))
	}
	mux := http.NewServeMux()
	mux.Handle("/hello", hello)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if err := http.ListenAndServe(*listen, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
