package policy

// A Change is what an owner asks of the account's policy, whether it came as a
// JSON PATCH or as the policy form: per limit, leave it, set it, or clear it
// back to the system default; or Strict, which clears both. It is a value, so
// the store can apply it to the row it has locked without asking the HTTP layer
// what it meant (docs/design.md, "A policy change").
type Change struct {
	// Strict clears both overrides; Idle and Absolute are then not read.
	Strict   bool
	Idle     FieldChange
	Absolute FieldChange
	// KeepDefaults is the form's rule: a value set to the default the account
	// already follows keeps following it, so saving the form unchanged changes
	// nothing and a later change of the default still reaches the account.
	KeepDefaults bool
}

// StrictChange is the Strict preset as a change: both limits back to the
// system defaults.
func StrictChange() Change { return Change{Strict: true} }

// CustomChange is the Custom preset of the form: both limits as typed, each
// keeping the default it follows when typed at that default.
func CustomChange(idle, absolute int) Change {
	return Change{Idle: Set(idle), Absolute: Set(absolute), KeepDefaults: true}
}

// FieldChange is what a change does to one override. The zero value leaves it.
type FieldChange struct {
	op    fieldOp
	value int
}

type fieldOp int

const (
	opLeave fieldOp = iota
	opSet
	opClear
)

// Leave keeps the override as it is (a field absent from a PATCH).
func Leave() FieldChange { return FieldChange{} }

// Set gives the override a value.
func Set(minutes int) FieldChange { return FieldChange{op: opSet, value: minutes} }

// Clear removes the override, so the system default applies (null in a PATCH).
func Clear() FieldChange { return FieldChange{op: opClear} }

// apply is the override after the change; following is the value in force
// before it, for KeepDefaults.
func (f FieldChange) apply(old *int, following int, keepDefaults bool) *int {
	switch f.op {
	case opSet:
		if keepDefaults && old == nil && f.value == following {
			return nil
		}
		v := f.value
		return &v
	case opClear:
		return nil
	}
	return old
}

// Update is a change applied to an account's overrides: the overrides and the
// limits in force before and after. It is what the store writes (row and audit
// payload) and what the pages and the API show afterwards.
type Update struct {
	Old, New                   Overrides
	EffectiveOld, EffectiveNew Effective
}

// Changed reports whether the update alters the stored overrides; an update
// that does not is not written and not audited.
func (u Update) Changed() bool { return !u.Old.Equal(u.New) }

// Apply applies a change to the account's current overrides and validates the
// result, once, in the order Validate describes. It is the one place a change
// becomes new overrides: the store calls it under the account's row lock, and
// the handlers call it only to check values they are not saving yet. The error
// is nil or FieldErrors.
func (s Settings) Apply(old Overrides, c Change) (Update, error) {
	u := Update{Old: old, EffectiveOld: s.EffectivePolicy(old)}
	if !c.Strict {
		u.New = Overrides{
			IdleMinutes:     c.Idle.apply(old.IdleMinutes, u.EffectiveOld.IdleMinutes, c.KeepDefaults),
			AbsoluteMinutes: c.Absolute.apply(old.AbsoluteMinutes, u.EffectiveOld.AbsoluteMinutes, c.KeepDefaults),
		}
	}
	u.EffectiveNew = s.EffectivePolicy(u.New)
	if err := s.validate(u.New, u.EffectiveNew); err != nil {
		// Refused: the policy stays as it was.
		return Update{Old: old, New: old, EffectiveOld: u.EffectiveOld, EffectiveNew: u.EffectiveOld}, err
	}
	return u, nil
}
