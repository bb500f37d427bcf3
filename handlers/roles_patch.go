package handlers

import (
	"bytes"
	"encoding/json"

	"curfew/policy"
)

// maxEchoedKey bounds how much of an unknown key an error repeats back.
const maxEchoedKey = 64

// decodeRolesPatch reads the value of "roles": an object whose keys are
// roles, each an object of idle_minutes and absolute_minutes (each at most
// once, a whole number or null). Every problem is a message under its field
// path, "roles.owner.idle_minutes"; fields collects them.
func decodeRolesPatch(raw json.RawMessage, fields map[string]string) map[string]policy.RoleChange {
	rp := map[string]policy.RoleChange{}
	eachKey(raw, policy.FieldRoles, fields, "an object of roles, such as {\"owner\": {\"idle_minutes\": 15}}",
		func(role string, value json.RawMessage) {
			path := policy.FieldRoles + "." + role
			if !policy.KnownRole(role) {
				fields[path] = "is not a role; the roles are owner and engineer."
				return
			}
			var rc policy.RoleChange
			eachKey(value, path, fields, "an object of idle_minutes and absolute_minutes",
				func(key string, v json.RawMessage) {
					var msg string
					switch key {
					case policy.FieldIdle:
						rc.Idle, msg = minutesValue(v)
					case policy.FieldAbsolute:
						rc.Absolute, msg = minutesValue(v)
					default:
						msg = "is not a known field; use idle_minutes and absolute_minutes."
					}
					if msg != "" {
						fields[path+"."+key] = msg
					}
				})
			rp[role] = rc
		})
	return rp
}

// eachKey walks one JSON object, calling fn once per key in order. A value
// that is not an object, or a key given twice, is a message under path.
func eachKey(raw json.RawMessage, path string, fields map[string]string, want string, fn func(key string, value json.RawMessage)) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		fields[path] = "must be " + want + "."
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		fields[path] = "must be " + want + "."
		return
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			fields[path] = "must be " + want + "."
			return
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			fields[path] = "must be " + want + "."
			return
		}
		if len(key) > maxEchoedKey {
			key = truncate(key, maxEchoedKey) + "…"
		}
		if seen[key] {
			fields[path+"."+key] = "appears more than once; give it once."
			continue
		}
		seen[key] = true
		fn(key, value)
	}
}
