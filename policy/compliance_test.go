package policy

import (
	"strings"
	"testing"
)

func TestComplianceLabels(t *testing.T) {
	tests := []struct {
		name          string
		idle, abs     int
		wantByID      map[string]string
		wantMeetCount int
	}{
		{
			name: "system defaults: 30 minutes idle, 14 days",
			idle: 30, abs: 20160,
			wantByID: map[string]string{
				"nist-aal1":      "Meets NIST AAL1",
				"nist-aal2":      "Exceeds NIST AAL2 lifetime limit",
				"nist-aal3":      "Exceeds NIST AAL3 idle and lifetime limits",
				"nist-aal2-rev3": "Exceeds NIST AAL2 (rev. 3) lifetime limit",
				"pci-dss":        "Exceeds PCI DSS 8.2.8 idle limit",
			},
			wantMeetCount: 1,
		},
		{
			name: "exactly at the AAL3 ceilings meets everything",
			idle: 15, abs: 720,
			wantByID: map[string]string{
				"nist-aal1":      "Meets NIST AAL1",
				"nist-aal2":      "Meets NIST AAL2",
				"nist-aal3":      "Meets NIST AAL3",
				"nist-aal2-rev3": "Meets NIST AAL2 (rev. 3)",
				"pci-dss":        "Meets PCI DSS 8.2.8",
			},
			wantMeetCount: 5,
		},
		{
			name: "one minute over each AAL2 ceiling",
			idle: 61, abs: 1441,
			wantByID: map[string]string{
				"nist-aal2": "Exceeds NIST AAL2 idle and lifetime limits",
				"pci-dss":   "Exceeds PCI DSS 8.2.8 idle limit",
			},
			wantMeetCount: 1,
		},
		{
			name: "at the AAL2 ceilings: 1 hour, 24 hours",
			idle: 60, abs: 1440,
			wantByID: map[string]string{
				"nist-aal2":      "Meets NIST AAL2",
				"nist-aal3":      "Exceeds NIST AAL3 idle and lifetime limits",
				"nist-aal2-rev3": "Exceeds NIST AAL2 (rev. 3) idle and lifetime limits",
			},
			wantMeetCount: 2,
		},
		{
			name: "PCI sets no lifetime limit: 15 minutes idle, 90 days",
			idle: 15, abs: 129600,
			wantByID: map[string]string{
				"pci-dss":   "Meets PCI DSS 8.2.8",
				"nist-aal1": "Exceeds NIST AAL1 lifetime limit",
				"nist-aal3": "Exceeds NIST AAL3 lifetime limit",
			},
			wantMeetCount: 1,
		},
		{
			name: "AAL1 sets no idle limit: 30 days idle and lifetime",
			idle: 43200, abs: 43200,
			wantByID: map[string]string{
				"nist-aal1": "Meets NIST AAL1",
			},
			wantMeetCount: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compliance(Effective{IdleMinutes: tt.idle, AbsoluteMinutes: tt.abs})
			if len(got) != len(Standards) {
				t.Fatalf("%d standings, want one per standard (%d)", len(got), len(Standards))
			}
			meets := 0
			for _, s := range got {
				if s.Meets() {
					meets++
					if !strings.HasPrefix(s.Label(), "Meets ") {
						t.Errorf("%s meets but says %q", s.ID, s.Label())
					}
				}
				if want, ok := tt.wantByID[s.ID]; ok && s.Label() != want {
					t.Errorf("%s: %q, want %q", s.ID, s.Label(), want)
				}
			}
			if meets != tt.wantMeetCount {
				t.Errorf("meets %d standards, want %d", meets, tt.wantMeetCount)
			}
		})
	}
}

func TestStandardFigures(t *testing.T) {
	// The published ceilings, in minutes; a change here is a change of source.
	want := map[string][2]int{
		"nist-aal1":      {0, 43200},
		"nist-aal2":      {60, 1440},
		"nist-aal3":      {15, 720},
		"nist-aal2-rev3": {30, 720},
		"pci-dss":        {15, 0},
	}
	for id, w := range want {
		st, ok := StandardByID(id)
		if !ok {
			t.Errorf("no standard %q", id)
			continue
		}
		if st.IdleMax != w[0] || st.AbsoluteMax != w[1] {
			t.Errorf("%s: idle %d, absolute %d; want %d, %d", id, st.IdleMax, st.AbsoluteMax, w[0], w[1])
		}
	}
	if _, ok := StandardByID("hipaa"); ok {
		t.Error("found a standard that is not listed")
	}
}

func TestQuickFill(t *testing.T) {
	defaults := Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}
	tests := []struct {
		name     string
		settings Settings
		standard string
		from     Effective
		want     Effective
		wantOK   bool
	}{
		{"AAL2 sets both", DefaultSettings, "nist-aal2", defaults, Effective{60, 1440}, true},
		{"AAL3 sets both", DefaultSettings, "nist-aal3", defaults, Effective{15, 720}, true},
		{"PCI keeps the lifetime", DefaultSettings, "pci-dss", defaults, Effective{15, 20160}, true},
		{"AAL1 keeps the idle timeout", DefaultSettings, "nist-aal1", defaults, Effective{30, 43200}, true},
		{"AAL1 lowers an idle timeout above the new lifetime",
			Settings{IdleMin: 5, IdleMax: 60000, IdleDefault: 30, AbsoluteMin: 60, AbsoluteMax: 129600, AbsoluteDefault: 20160},
			"nist-aal1", Effective{50000, 129600}, Effective{43200, 43200}, true},
		{"a lower system maximum wins and still meets",
			Settings{IdleMin: 5, IdleMax: 600, IdleDefault: 30, AbsoluteMin: 60, AbsoluteMax: 10080, AbsoluteDefault: 10080},
			"nist-aal1", Effective{30, 10080}, Effective{30, 10080}, true},
		{"a system minimum above the ceiling makes it unreachable",
			Settings{IdleMin: 20, IdleMax: 600, IdleDefault: 30, AbsoluteMin: 60, AbsoluteMax: 20160, AbsoluteDefault: 20160},
			"pci-dss", defaults, Effective{15, 20160}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.settings.QuickFill(mustStandard(t, tt.standard), tt.from)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("QuickFill = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
			if ok {
				for _, s := range Compliance(got) {
					if s.ID == tt.standard && !s.Meets() {
						t.Errorf("the quick-fill %+v does not meet %s", got, s.ID)
					}
				}
				if err := tt.settings.Validate(Overrides{IdleMinutes: &got.IdleMinutes, AbsoluteMinutes: &got.AbsoluteMinutes}); err != nil {
					t.Errorf("the quick-fill %+v does not validate: %v", got, err)
				}
			}
		})
	}
}

func mustStandard(t *testing.T, id string) Standard {
	t.Helper()
	st, ok := StandardByID(id)
	if !ok {
		t.Fatalf("no standard %q", id)
	}
	return st
}
