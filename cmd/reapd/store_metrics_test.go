package main

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reapd/reapd/blobstore"
)

// TestStoreMetricsMove: the store's operations show in the latency
// histogram by operation, and failures in the error counter by category.
func TestStoreMetricsMove(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	st, err := blobstore.Open(context.Background(), "mem://", &blobstore.Options{Observe: storeMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	_ = st.Create(ctx, "k", []byte("x"))
	_ = st.Create(ctx, "k", []byte("x"))
	n, err := testutil.GatherAndCount(reg, "reapd_store_op_seconds")
	if err != nil || n == 0 {
		t.Fatalf("reapd_store_op_seconds: %d series, %v", n, err)
	}
	errs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var exists float64
	for _, mf := range errs {
		if mf.GetName() != "reapd_store_op_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == "exists" {
					exists += m.GetCounter().GetValue()
				}
			}
		}
	}
	if exists != 1 {
		t.Fatalf("reapd_store_op_errors_total{kind=exists} = %v after one conflicting create, want 1", exists)
	}
}
