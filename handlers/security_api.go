package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"curfew/policy"
)

// securityBody is the JSON of GET and PATCH /api/accounts/me/security.
type securityBody struct {
	IdleMinutes              *int `json:"idle_minutes"`
	AbsoluteMinutes          *int `json:"absolute_minutes"`
	EffectiveIdleMinutes     int  `json:"effective_idle_minutes"`
	EffectiveAbsoluteMinutes int  `json:"effective_absolute_minutes"`
	IdleMinutesMin           int  `json:"idle_minutes_min"`
	IdleMinutesMax           int  `json:"idle_minutes_max"`
	AbsoluteMinutesMin       int  `json:"absolute_minutes_min"`
	AbsoluteMinutesMax       int  `json:"absolute_minutes_max"`

	Roles map[string]roleSecurityBody `json:"roles"`
}

func (s *Server) securityBody(p policy.Policy) securityBody {
	o := p.Account
	eff := s.settings.EffectivePolicy(o)
	return securityBody{
		Roles:                    s.rolesBody(p),
		IdleMinutes:              o.IdleMinutes,
		AbsoluteMinutes:          o.AbsoluteMinutes,
		EffectiveIdleMinutes:     eff.IdleMinutes,
		EffectiveAbsoluteMinutes: eff.AbsoluteMinutes,
		IdleMinutesMin:           s.settings.IdleMin,
		IdleMinutesMax:           s.settings.IdleMax,
		AbsoluteMinutesMin:       s.settings.AbsoluteMin,
		AbsoluteMinutesMax:       s.settings.AbsoluteMax,
	}
}

// apiGetSecurity is the account's policy: overrides, effective values, bounds.
func (s *Server) apiGetSecurity(c echo.Context) error {
	return c.JSON(http.StatusOK, s.securityBody(principal(c).Policy))
}

// apiPatchSecurity changes the overrides: a field left out stays as it is,
// null clears it. Same validation, sudo window and audit as the page.
func (s *Server) apiPatchSecurity(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	patch, err := decodePolicyPatch(c.Request().Body)
	if err != nil {
		return err
	}
	apply := func(old policy.Policy) (policy.Policy, error) {
		next := old.Clone()
		next.Account = patch.apply(old.Account)
		patch.roles.applyTo(&next)
		return next, s.settings.ValidatePolicy(old, next)
	}
	// Validate before the sudo check, so a client learns about its values first.
	if _, err := apply(p.Policy); err != nil {
		return err
	}
	if !s.inSudoWindow(c) {
		return errReauthRequired
	}
	u, err := s.store.UpdatePolicy(ctx, p.AccountID, s.actor(c), s.settings, apply)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.securityBody(u.New))
}

// policyPatch is a PATCH body: for each field, whether it was given, and its
// value (nil for null).
type policyPatch struct {
	idleSet, absoluteSet bool
	idle, absolute       *int
	roles                rolesPatch
}

func (pp policyPatch) apply(old policy.Overrides) policy.Overrides {
	next := old
	if pp.idleSet {
		next.IdleMinutes = pp.idle
	}
	if pp.absoluteSet {
		next.AbsoluteMinutes = pp.absolute
	}
	return next
}

// decodePolicyPatch reads the body strictly: one JSON object (else 400) whose
// keys are only idle_minutes and absolute_minutes, each at most once, each a
// whole number or null, and roles (decodeRolesPatch), else 422 naming the
// field by its path. Walking the tokens keeps
// "absent" apart from "null" and catches repeated keys.
func decodePolicyPatch(body io.Reader) (policyPatch, error) {
	notObject := &Error{Status: http.StatusBadRequest, Code: "bad_request",
		Message: `The body must be a JSON object, such as {"idle_minutes": 60, "absolute_minutes": 480}.`}
	raw, err := readJSONObject(body, notObject.Message)
	if err != nil {
		return policyPatch{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return policyPatch{}, notObject
	}
	var pp policyPatch
	fields := map[string]string{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return policyPatch{}, notObject
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return policyPatch{}, notObject
		}
		if seen[key] {
			fields[key] = "appears more than once; give it once."
			continue
		}
		seen[key] = true
		switch key {
		case policy.FieldIdle:
			pp.idleSet = true
			pp.idle, fields[key] = minutesValue(value)
		case policy.FieldAbsolute:
			pp.absoluteSet = true
			pp.absolute, fields[key] = minutesValue(value)
		case policy.FieldRoles:
			pp.roles = decodeRolesPatch(value, fields)
		default:
			fields[truncate(key, maxEchoedKey)] = "is not a known field; use idle_minutes, absolute_minutes and roles."
		}
		if fields[key] == "" {
			delete(fields, key)
		}
	}
	if len(fields) > 0 {
		return policyPatch{}, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Some fields are unknown or have the wrong type.", Fields: fields}
	}
	return pp, nil
}

// minutesValue accepts a JSON integer or null; anything else gets a message.
// 1.0 and 1e2 are not integers here: a number must be written as one.
func minutesValue(v json.RawMessage) (*int, string) {
	const want = "must be a whole number of minutes or null"
	switch v[0] {
	case 'n':
		return nil, ""
	case '"':
		return nil, want + ", not a string."
	case 't', 'f':
		return nil, want + ", not true or false."
	case '[':
		return nil, want + ", not a list."
	case '{':
		return nil, want + ", not an object."
	}
	if bytes.ContainsAny(v, ".eE") {
		return nil, want + ", without a decimal point or exponent."
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return nil, want + "; this number is far too large."
	}
	return &n, ""
}
