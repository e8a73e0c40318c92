/* SPDX-License-Identifier: Apache-2.0 */
// Go twin of `bench_core lookup`: client_golang's WithLabelValues(...).Inc()
// over 100 children in test c's order, and over 1,000,000 children of a
// 3-label counter in the same random order as bench_core (same generator,
// same shuffle, same seed). Built by bench/lookup.sh in GOPATH mode against
// Debian's golang-github-prometheus-client-golang-dev.
// Usage: lookup_go [N]        Output lines: "go <test> <value> <unit>"
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const rounds = 5
const m = 1000000

var methods = []string{"GET", "POST", "PUT", "DELETE"}
var paths = []string{"/api", "/api/users", "/api/orders", "/health", "/metrics"}
var statuses = []string{"200", "201", "404", "500", "503"}

func splitmix64(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func shuffle(a []uint32, seed uint64) {
	for i := range a {
		a[i] = uint32(i)
	}
	for i := uint32(len(a) - 1); i > 0; i-- {
		j := uint32(splitmix64(&seed) % (uint64(i) + 1))
		a[i], a[j] = a[j], a[i]
	}
}

// cpuNs is the CPU time of the process (every thread: the collector's work
// counts); on a shared machine it leaves out the time spent descheduled.
func cpuNs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return float64(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

func value(c prometheus.Counter) float64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		panic(err)
	}
	return d.GetCounter().GetValue()
}

func main() {
	N := 10000000
	if len(os.Args) > 1 {
		N, _ = strconv.Atoi(os.Args[1])
	}
	t := make([]float64, rounds)
	tc := make([]float64, rounds)

	reg := prometheus.NewRegistry()
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_req_total", Help: "req"}, []string{"method", "path", "status"})
	reg.MustRegister(cv)
	for k := 0; k < 100; k++ {
		cv.WithLabelValues(methods[k/25], paths[(k/5)%5], statuses[k%5])
	}
	R := N / rounds
	for r := 0; r < rounds; r++ {
		t0, c0 := time.Now(), cpuNs()
		for i := 0; i < R; i++ {
			k := i % 100
			cv.WithLabelValues(methods[k/25], paths[(k/5)%5], statuses[k%5]).Inc()
		}
		t[r] = float64(time.Since(t0).Nanoseconds()) / float64(R)
		tc[r] = (cpuNs() - c0) / float64(R)
	}
	sum := 0.0
	for k := 0; k < 100; k++ {
		sum += value(cv.WithLabelValues(methods[k/25], paths[(k/5)%5], statuses[k%5]))
	}
	if sum != float64(R*rounds) {
		fmt.Fprintf(os.Stderr, "lookup_go: lookup_100 counted %.0f, want %d\n", sum, R*rounds)
		os.Exit(1)
	}
	fmt.Printf("go lookup_100 %.3f ns/op\n", median(t))
	fmt.Printf("go lookup_100_cpu %.3f ns/op\n", median(tc))

	var a, b, d [100]string
	for i := 0; i < 100; i++ {
		a[i] = fmt.Sprintf("m%d", i)
		b[i] = fmt.Sprintf("/api/v1/res%d", i)
		d[i] = strconv.Itoa(100 + i)
	}
	order := make([]uint32, m)
	shuffle(order, 7)
	reg = prometheus.NewRegistry()
	cv = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_requests_total", Help: "req"}, []string{"method", "path", "status"})
	reg.MustRegister(cv)
	t0 := time.Now()
	for k := 0; k < m; k++ {
		cv.WithLabelValues(a[k/10000], b[(k/100)%100], d[k%100])
	}
	create := float64(time.Since(t0).Nanoseconds()) / m
	for r := 0; r < rounds; r++ {
		t0, c0 := time.Now(), cpuNs()
		for _, k := range order {
			cv.WithLabelValues(a[k/10000], b[(k/100)%100], d[k%100]).Inc()
		}
		t[r] = float64(time.Since(t0).Nanoseconds()) / m
		tc[r] = (cpuNs() - c0) / m
	}
	for k := 0; k < m; k += 9973 {
		if value(cv.WithLabelValues(a[k/10000], b[(k/100)%100], d[k%100])) != rounds {
			fmt.Fprintf(os.Stderr, "lookup_go: child %d was not counted %d times\n", k, rounds)
			os.Exit(1)
		}
	}
	fmt.Printf("go lookup_1m_create %.3f ns/op\n", create)
	fmt.Printf("go lookup_1m_random %.3f ns/op\n", median(t))
	fmt.Printf("go lookup_1m_random_cpu %.3f ns/op\n", median(tc))
}
