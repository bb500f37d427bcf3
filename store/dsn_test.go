package store

import (
	"testing"

	"github.com/lib/pq"
)

func TestMultiHostURL(t *testing.T) {
	type hostPort struct {
		host string
		port uint16
	}
	tests := []struct {
		name, dsn string
		want      []hostPort
	}{
		{"one host", "postgres://u@db.example:6432/curfew?sslmode=disable", []hostPort{{"db.example", 6432}}},
		{"two hosts with ports", "postgres://u:p@h1:5432,h2:5433/curfew?target_session_attrs=read-write",
			[]hostPort{{"h1", 5432}, {"h2", 5433}}},
		{"a host without its port takes the default", "postgres://u@h1,h2:6000,h3:7000/curfew",
			[]hostPort{{"h1", 5432}, {"h2", 6000}, {"h3", 7000}}},
		{"lib/pq's own form is kept", "postgres://u@h1,h2/curfew?port=5432,5433",
			[]hostPort{{"h1", 5432}, {"h2", 5433}}},
		{"key=value form is kept", "host=h1,h2 port=5432,5433 dbname=curfew",
			[]hostPort{{"h1", 5432}, {"h2", 5433}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := pq.NewConfig(multiHostURL(tt.dsn))
			if err != nil {
				t.Fatalf("%s → %s: %v", tt.dsn, multiHostURL(tt.dsn), err)
			}
			got := []hostPort{{cfg.Host, cfg.Port}}
			for _, m := range cfg.Multi {
				got = append(got, hostPort{m.Host, m.Port})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%s → hosts %v, want %v", tt.dsn, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%s → hosts %v, want %v", tt.dsn, got, tt.want)
				}
			}
			if cfg.Database != "curfew" {
				t.Errorf("%s → database %q", tt.dsn, cfg.Database)
			}
		})
	}
}
