package handlers

import (
	"curfew/policy"
	"curfew/words"
)

// roleSummary is one role's line on the card: what applies and where it
// comes from, "Owners: 15 minutes idle · 12 hours at most — set for owners".
func roleSummary(a policy.Applied) string {
	return words.RoleTitle(a.Role) + ": " + words.Minutes(a.Effective.IdleMinutes) + " idle · " +
		words.Minutes(a.Effective.AbsoluteMinutes) + " at most — " + roleSourceWords(a)
}

// roleSourceWords says where a role's values come from: "set for owners",
// "as for the account", "the system defaults", or per value when they differ.
func roleSourceWords(a policy.Applied) string {
	one := func(s policy.Source) string {
		switch s {
		case policy.SourceRole:
			return "set for " + words.RolePlural(a.Role)
		case policy.SourceAccount:
			return "as for the account"
		}
		return "the system default"
	}
	if a.IdleFrom == a.AbsoluteFrom {
		if a.IdleFrom == policy.SourceDefault {
			return "the system defaults"
		}
		return one(a.IdleFrom)
	}
	return "idle timeout " + one(a.IdleFrom) + ", lifetime " + one(a.AbsoluteFrom)
}

// followHint says what an empty role input follows, and its bounds.
func followHint(account, lo, hi int) string {
	return "Leave empty to follow the account (" + words.Minutes(account) + "). " +
		"In minutes, or with a unit such as 8h or 14d; " + words.Between(lo, hi) + "."
}
