package words

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Detail is one line of an audit event's details: "Idle timeout",
// "30 minutes (default) → 15 minutes".
type Detail struct {
	Label string
	Value string
}

// detailLabels name the payload keys Curfew writes; other keys are shown with
// their name made readable.
var detailLabels = map[string]string{
	"revoked_count": "Sessions ended",
	"people_count":  "People",
	"scope":         "Who",
	"user_id":       "Person (user id)",
	"session_id":    "Session",
	"email":         "Email given",
	"method":        "Request",
	"path":          "Address",
	"reason":        "Reason",
	"throttled":     "Refused for too many attempts",
	"reauth":        "While confirming a password",
	"role":          "Role",
}

// Details are an audit event's payload in words, for the row's details: a
// policy change as old → new per limit, other keys one per line. Values are
// shortened, since a payload may carry what a client sent.
func Details(e AuditEvent) []Detail {
	var p payload
	if json.Unmarshal(e.Payload, &p) != nil || len(p) == 0 {
		return nil
	}
	var out []Detail
	if _, ok := p["old"]; ok {
		for _, f := range []struct{ key, label string }{
			{"idle_minutes", "Idle timeout"},
			{"absolute_minutes", "Absolute lifetime"},
		} {
			oldV, oldSet := p.object("old").int(f.key)
			newV, newSet := p.object("new").int(f.key)
			effOld, effOldOK := p.object("effective_old").int(f.key)
			effNew, effNewOK := p.object("effective_new").int(f.key)
			from, to := limit(oldV, oldSet, effOld, effOldOK), limit(newV, newSet, effNew, effNewOK)
			if from == to {
				out = append(out, Detail{f.label, to + ", unchanged"})
				continue
			}
			out = append(out, Detail{f.label, from + " → " + to})
		}
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		switch k {
		case "old", "new", "effective_old", "effective_new":
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := detailValue(k, p[k])
		switch {
		case v == "":
		case k == "method" && strings.ToUpper(v) != v:
			out = append(out, Detail{"Sign-in method", v}) // "password", "token"; an HTTP method is upper case
		default:
			out = append(out, Detail{detailLabel(k), v})
		}
	}
	return out
}

func detailLabel(key string) string {
	if l, ok := detailLabels[key]; ok {
		return l
	}
	key = Shorten(strings.ReplaceAll(key, "_", " "), 40)
	if key == "" {
		return "(no name)"
	}
	return strings.ToUpper(key[:1]) + key[1:]
}

func detailValue(key string, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		if key == "scope" {
			switch v {
			case "all":
				return "everyone"
			case "others":
				return "everyone but themself"
			}
		}
		return Shorten(v, 200)
	}
	b, _ := json.Marshal(v)
	return Shorten(string(b), 200)
}
