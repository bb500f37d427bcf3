package handlers

import (
	"slices"
	"strings"

	"curfew/policy"
)

// auditRoleWords describes the "roles" part of a policy change, one phrase
// per field whose override changed: "set the owners' idle timeout to 15
// minutes", "changed the engineers' absolute lifetime from 14 days to 7
// days", "cleared the owners' idle timeout (now the account's 30 minutes)".
// Roles are in policy.Roles order; others (from another version) after them.
func auditRoleWords(p map[string]any) []string {
	roles := auditPayloadObject(p, "roles")
	names := make([]string, 0, len(roles))
	for role := range roles {
		names = append(names, role)
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(policy.Roles, a), slices.Index(policy.Roles, b)
		if ia < 0 {
			ia = len(policy.Roles)
		}
		if ib < 0 {
			ib = len(policy.Roles)
		}
		if ia != ib {
			return ia - ib
		}
		if a < b {
			return -1
		}
		return 1
	})
	var parts []string
	for _, role := range names {
		part, _ := roles[role].(map[string]any)
		whose := "the " + policy.RolePlural(role) + "' "
		for _, f := range []struct{ key, label string }{
			{policy.FieldIdle, "idle timeout"},
			{policy.FieldAbsolute, "absolute lifetime"},
		} {
			oldV, oldSet := auditPayloadInt(auditPayloadObject(part, "old"), f.key)
			newV, newSet := auditPayloadInt(auditPayloadObject(part, "new"), f.key)
			switch {
			case oldSet == newSet && oldV == newV:
			case !oldSet && newSet:
				parts = append(parts, "set "+whose+f.label+" to "+policy.HumanMinutes(newV))
			case oldSet && newSet:
				parts = append(parts, "changed "+whose+f.label+" from "+policy.HumanMinutes(oldV)+" to "+policy.HumanMinutes(newV))
			default:
				phrase := "cleared " + whose + f.label
				if eff, ok := auditPayloadInt(auditPayloadObject(part, "effective_new"), f.key); ok {
					phrase += " (now " + policy.HumanMinutes(eff) + ", as for the account)"
				}
				parts = append(parts, phrase)
			}
		}
	}
	return parts
}

// auditJoin joins clauses as a sentence does: "a", "a, and b", "a, b, and c".
func auditJoin(clauses []string) string {
	switch len(clauses) {
	case 0:
		return ""
	case 1:
		return clauses[0]
	}
	return strings.Join(clauses[:len(clauses)-1], ", ") + ", and " + clauses[len(clauses)-1]
}
