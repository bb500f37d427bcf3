package words

import (
	"slices"
	"strings"
)

// RolePlural names the people of a role in a sentence: "owners".
func RolePlural(role string) string { return role + "s" }

// RoleTitle is RolePlural at the start of a line: "Owners".
func RoleTitle(role string) string {
	p := RolePlural(role)
	return strings.ToUpper(p[:1]) + p[1:]
}

// roleOrder is the order sentences name roles in: the owners, who hold the
// power, first; any other role after them, alphabetically.
var roleOrder = []string{"owner", "engineer"}

func sortRoles(roles []string) {
	rank := func(r string) int {
		if i := slices.Index(roleOrder, r); i >= 0 {
			return i
		}
		return len(roleOrder)
	}
	slices.SortFunc(roles, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
}

// roleChanges describes the "roles" part of a policy change, one phrase per
// field whose override changed: "set the owners' idle timeout to 15 minutes",
// "changed the engineers' absolute lifetime from 14 days to 7 days",
// "cleared the owners' idle timeout (now 30 minutes, as for the account)".
func roleChanges(p payload) []string {
	roles := p.object("roles")
	names := make([]string, 0, len(roles))
	for role := range roles {
		names = append(names, role)
	}
	sortRoles(names)
	var parts []string
	for _, role := range names {
		part := roles.object(role)
		whose := "the " + RolePlural(role) + "' "
		for _, f := range []struct{ key, label string }{
			{"idle_minutes", "idle timeout"},
			{"absolute_minutes", "absolute lifetime"},
		} {
			oldV, oldSet := part.object("old").int(f.key)
			newV, newSet := part.object("new").int(f.key)
			switch {
			case oldSet == newSet && oldV == newV:
			case !oldSet && newSet:
				parts = append(parts, "set "+whose+f.label+" to "+Minutes(newV))
			case oldSet && newSet:
				parts = append(parts, "changed "+whose+f.label+" from "+Minutes(oldV)+" to "+Minutes(newV))
			default:
				phrase := "cleared " + whose + f.label
				if eff, ok := part.object("effective_new").int(f.key); ok {
					phrase += " (now " + Minutes(eff) + ", as for the account)"
				}
				parts = append(parts, phrase)
			}
		}
	}
	return parts
}

// clauses joins the clauses of one sentence: "a", "a, and b", "a, b, and c".
func clauses(cs []string) string {
	switch len(cs) {
	case 0:
		return ""
	case 1:
		return cs[0]
	}
	return strings.Join(cs[:len(cs)-1], ", ") + ", and " + cs[len(cs)-1]
}
