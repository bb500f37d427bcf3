package policy

import (
	"fmt"
	"slices"

	"curfew/words"
)

// Roles are the roles a person of an account can hold, in the order pages
// and the API list them. The users.role and role_policies.role CHECKs hold
// the same list.
var Roles = []string{"owner", "engineer"}

// KnownRole reports whether role is one of Roles.
func KnownRole(role string) bool { return slices.Contains(Roles, role) }

// RolePlural is how a sentence names the people of a role: "owners".
func RolePlural(role string) string { return words.RolePlural(role) }

// Policy is an account's whole session policy: its own overrides and those
// set for one role or another. A role with no entry (or a zero one) follows
// the account.
type Policy struct {
	Account Overrides
	Roles   map[string]Overrides
}

// Role is the overrides set for one role; zero when it has none.
func (p Policy) Role(role string) Overrides { return p.Roles[role] }

// Equal reports whether two policies hold the same values; a role absent
// from one and zero in the other is the same.
func (p Policy) Equal(q Policy) bool {
	if !p.Account.Equal(q.Account) {
		return false
	}
	for _, role := range roleUnion(p, q) {
		if !p.Role(role).Equal(q.Role(role)) {
			return false
		}
	}
	return true
}

// ChangedRoles lists, in Roles order, the roles whose overrides differ
// between p and next.
func (p Policy) ChangedRoles(next Policy) []string {
	var out []string
	for _, role := range roleUnion(p, next) {
		if !p.Role(role).Equal(next.Role(role)) {
			out = append(out, role)
		}
	}
	return out
}

// Clone copies p, so a change can be applied without touching the original.
func (p Policy) Clone() Policy {
	q := Policy{Account: p.Account, Roles: make(map[string]Overrides, len(p.Roles))}
	for role, o := range p.Roles {
		if !o.IsStrict() {
			q.Roles[role] = o
		}
	}
	return q
}

// roleUnion is every role either policy mentions: Roles first, in order,
// then any other name sorted (validation refuses those).
func roleUnion(p, q Policy) []string {
	out := slices.Clone(Roles)
	var extra []string
	for _, m := range []map[string]Overrides{p.Roles, q.Roles} {
		for role := range m {
			if !slices.Contains(out, role) && !slices.Contains(extra, role) {
				extra = append(extra, role)
			}
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// Source says where an effective value comes from.
type Source string

// The sources of an effective value, from the most particular.
const (
	SourceRole    Source = "role"
	SourceAccount Source = "account"
	SourceDefault Source = "default"
)

// Applied is what one role's sessions live by: the role's own overrides, the
// values in force, and where each comes from.
type Applied struct {
	Role         string
	Overrides    Overrides
	Effective    Effective
	IdleFrom     Source
	AbsoluteFrom Source
}

// EffectiveForRole applies, per field, the role's override, else the
// account's, else the system default.
func (s Settings) EffectiveForRole(account, role Overrides) Effective {
	return s.AppliedForRole(account, role).Effective
}

// AppliedForRole is EffectiveForRole with the source of each value.
func (s Settings) AppliedForRole(account, role Overrides) Applied {
	a := Applied{Overrides: role, Effective: s.EffectivePolicy(account), IdleFrom: SourceDefault, AbsoluteFrom: SourceDefault}
	if account.IdleMinutes != nil {
		a.IdleFrom = SourceAccount
	}
	if account.AbsoluteMinutes != nil {
		a.AbsoluteFrom = SourceAccount
	}
	if role.IdleMinutes != nil {
		a.Effective.IdleMinutes, a.IdleFrom = *role.IdleMinutes, SourceRole
	}
	if role.AbsoluteMinutes != nil {
		a.Effective.AbsoluteMinutes, a.AbsoluteFrom = *role.AbsoluteMinutes, SourceRole
	}
	return a
}

// Applied lists every role of Roles with what its sessions live by.
func (s Settings) Applied(p Policy) []Applied {
	out := make([]Applied, 0, len(Roles))
	for _, role := range Roles {
		a := s.AppliedForRole(p.Account, p.Role(role))
		a.Role = role
		out = append(out, a)
	}
	return out
}

// RoleField is the path of a role's field in errors and the API:
// "roles.owner.idle_minutes".
func RoleField(role, field string) string { return "roles." + role + "." + field }

// FieldRoles is the path of the roles object itself, for errors about it.
const FieldRoles = "roles"

// ValidatePolicy checks a whole policy after a change from old, in the order
// of Validate: every value given within its own bounds, then the effective
// idle <= the effective absolute for the account and for every role. A
// refusal names the field the change touched that causes it, and the role.
func (s Settings) ValidatePolicy(old, next Policy) error {
	errs := FieldErrors{}
	s.boundsErrors(errs, "", next.Account)
	for _, role := range roleUnion(next, Policy{}) {
		o, ok := next.Roles[role]
		if !ok {
			continue
		}
		if !KnownRole(role) {
			errs[FieldRoles+"."+role] = fmt.Sprintf("is not a role; the roles are %s.", roleList())
			continue
		}
		s.boundsErrors(errs, role, o)
	}
	if len(errs) > 0 {
		return errs
	}
	if err := s.Validate(next.Account); err != nil {
		return err
	}
	for _, role := range Roles {
		s.roleRuleErrors(errs, role, old, next)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func roleList() string {
	out := ""
	for i, r := range Roles {
		switch {
		case i == 0:
		case i == len(Roles)-1:
			out += " and "
		default:
			out += ", "
		}
		out += r
	}
	return out
}

// boundsErrors adds a message for each value of o outside its bounds; role
// is "" for the account's own fields.
func (s Settings) boundsErrors(errs FieldErrors, role string, o Overrides) {
	idleKey, absKey := FieldIdle, FieldAbsolute
	idleName, absName := "Idle timeout", "Absolute lifetime"
	if role != "" {
		idleKey, absKey = RoleField(role, FieldIdle), RoleField(role, FieldAbsolute)
		idleName, absName = "The "+RolePlural(role)+"' idle timeout", "The "+RolePlural(role)+"' absolute lifetime"
	}
	if v := o.IdleMinutes; v != nil && (*v < s.IdleMin || *v > s.IdleMax) {
		errs[idleKey] = fmt.Sprintf("%s must be between %d and %d minutes (%s to %s).",
			idleName, s.IdleMin, s.IdleMax, words.Minutes(s.IdleMin), words.Minutes(s.IdleMax))
	}
	if v := o.AbsoluteMinutes; v != nil && (*v < s.AbsoluteMin || *v > s.AbsoluteMax) {
		errs[absKey] = fmt.Sprintf("%s must be between %d and %d minutes (%s to %s).",
			absName, s.AbsoluteMin, s.AbsoluteMax, words.Minutes(s.AbsoluteMin), words.Minutes(s.AbsoluteMax))
	}
}

// roleRuleErrors checks idle <= absolute for one role under next. When it
// fails, the message goes on each field the change touched that the role's
// two values come from: the role's own, or the account's when the role
// follows it. A conflict no change of this one caused (the system defaults
// moved) goes on the role's own override.
func (s Settings) roleRuleErrors(errs FieldErrors, role string, old, next Policy) {
	a := s.AppliedForRole(next.Account, next.Role(role))
	if a.Effective.IdleMinutes <= a.Effective.AbsoluteMinutes {
		return
	}
	was := old.Role(role)
	now := next.Role(role)
	touched := func(field string, from Source) bool {
		switch {
		case from == SourceRole && field == FieldIdle:
			return !eqPtr(was.IdleMinutes, now.IdleMinutes)
		case from == SourceRole:
			return !eqPtr(was.AbsoluteMinutes, now.AbsoluteMinutes)
		case field == FieldIdle:
			// The role follows the account (or the default) here: the
			// change is to the account's value, or the role's was cleared.
			return !eqPtr(old.Account.IdleMinutes, next.Account.IdleMinutes) || !eqPtr(was.IdleMinutes, now.IdleMinutes)
		default:
			return !eqPtr(old.Account.AbsoluteMinutes, next.Account.AbsoluteMinutes) || !eqPtr(was.AbsoluteMinutes, now.AbsoluteMinutes)
		}
	}
	idleMsg := fmt.Sprintf("The %s' idle timeout (%s) cannot be longer than their absolute lifetime (%s).",
		RolePlural(role), describe(a.Effective.IdleMinutes, a.IdleFrom, role), describe(a.Effective.AbsoluteMinutes, a.AbsoluteFrom, role))
	absMsg := fmt.Sprintf("The %s' absolute lifetime (%s) cannot be shorter than their idle timeout (%s).",
		RolePlural(role), describe(a.Effective.AbsoluteMinutes, a.AbsoluteFrom, role), describe(a.Effective.IdleMinutes, a.IdleFrom, role))
	put := func(field string, from Source, msg string) bool {
		if !touched(field, from) {
			return false
		}
		key := field
		if from == SourceRole || (field == FieldIdle && !eqPtr(was.IdleMinutes, now.IdleMinutes)) ||
			(field == FieldAbsolute && !eqPtr(was.AbsoluteMinutes, now.AbsoluteMinutes)) {
			key = RoleField(role, field)
		}
		if _, taken := errs[key]; !taken {
			errs[key] = msg
		}
		return true
	}
	placedIdle := put(FieldIdle, a.IdleFrom, idleMsg)
	placedAbs := put(FieldAbsolute, a.AbsoluteFrom, absMsg)
	if !placedIdle && !placedAbs {
		if a.IdleFrom == SourceRole {
			errs[RoleField(role, FieldIdle)] = idleMsg
		} else {
			errs[RoleField(role, FieldAbsolute)] = absMsg
		}
	}
}

// describe says a value and where it comes from: "2 hours, set for owners",
// "1 hour, the account's", "14 days, the default".
func describe(minutes int, from Source, role string) string {
	switch from {
	case SourceRole:
		return words.Minutes(minutes) + ", set for " + RolePlural(role)
	case SourceAccount:
		return words.Minutes(minutes) + ", the account's"
	}
	return words.Minutes(minutes) + ", the default"
}

// RoleChange is what a change does to one role's overrides, per field.
type RoleChange struct {
	Idle     FieldChange
	Absolute FieldChange
}

// PolicyChange is a change of an account's whole policy: its own values, as
// Change says, and those of any roles it names.
type PolicyChange struct {
	Account Change
	Roles   map[string]RoleChange
}

// PolicyUpdate is a PolicyChange applied: the account's own Update, and the
// whole policy before and after.
type PolicyUpdate struct {
	Update
	OldPolicy, NewPolicy Policy
}

// Changed reports whether the update alters the account's values or any
// role's; one that does not is not written and not audited.
func (u PolicyUpdate) Changed() bool { return !u.OldPolicy.Equal(u.NewPolicy) }

// ChangedRoles lists, in Roles order, the roles whose overrides the update changes.
func (u PolicyUpdate) ChangedRoles() []string { return u.OldPolicy.ChangedRoles(u.NewPolicy) }

// ApplyPolicy applies a change to an account's whole policy and validates the
// result, once: the account's values as Apply does, every role's within the
// bounds, then idle <= absolute for the account and every role
// (ValidatePolicy). Refused, the update is the policy as it was and the error
// is FieldErrors.
func (s Settings) ApplyPolicy(old Policy, c PolicyChange) (PolicyUpdate, error) {
	refused := PolicyUpdate{OldPolicy: old, NewPolicy: old,
		Update: Update{Old: old.Account, New: old.Account, EffectiveOld: s.EffectivePolicy(old.Account), EffectiveNew: s.EffectivePolicy(old.Account)}}
	next := old.Clone()
	for role, rc := range c.Roles {
		o := next.Roles[role]
		o.IdleMinutes = rc.Idle.apply(o.IdleMinutes, 0, false)
		o.AbsoluteMinutes = rc.Absolute.apply(o.AbsoluteMinutes, 0, false)
		next.Roles[role] = o
	}
	au, err := s.Apply(old.Account, c.Account)
	if err != nil {
		// The account's own refusal, with what is wrong with the roles'
		// values in the same answer.
		if fe, ok := err.(FieldErrors); ok {
			if rerr, ok := s.ValidatePolicy(old, Policy{Account: old.Account, Roles: next.Roles}).(FieldErrors); ok {
				for k, v := range rerr {
					if _, taken := fe[k]; !taken && k != FieldIdle && k != FieldAbsolute {
						fe[k] = v
					}
				}
			}
		}
		return refused, err
	}
	next.Account = au.New
	if err := s.ValidatePolicy(old, next); err != nil {
		return refused, err
	}
	return PolicyUpdate{Update: au, OldPolicy: old, NewPolicy: next.Clone()}, nil
}
