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

func (s *Server) securityBody(pol policy.Policy) securityBody {
	o, eff := pol.Account, s.settings.EffectivePolicy(pol.Account)
	return securityBody{
		Roles:                    s.rolesBody(pol),
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
	p := principal(c)
	return c.JSON(http.StatusOK, s.securityBody(p.Policy))
}

// apiPatchSecurity changes the account's overrides and its roles': a field
// left out stays as it is, null clears it; the whole change is one
// transaction and one audit row. Same validation, sudo window and audit as
// the page.
func (s *Server) apiPatchSecurity(c echo.Context) error {
	p := principal(c)
	change, err := decodePolicyPatch(c.Request().Body)
	if err != nil {
		return err
	}
	if !s.inSudoWindow(c) {
		// Nothing is saved without the password; the values are checked
		// first so that a client learns about them before it is asked.
		if _, err := s.settings.ApplyPolicy(p.Policy, change); err != nil {
			return err
		}
		return errReauthRequired
	}
	u, err := s.store.UpdatePolicy(c.Request().Context(), p.AccountID, s.actor(c), s.settings, change)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.securityBody(u.NewPolicy))
}

// decodePolicyPatch reads the body strictly: one JSON object (else 400) whose
// keys are only idle_minutes and absolute_minutes, each at most once, each a
// whole number or null, and roles (decodeRolesPatch), else 422 naming the
// field by its path. Walking the tokens keeps
// "absent" apart from "null" and catches repeated keys.
func decodePolicyPatch(body io.Reader) (policy.PolicyChange, error) {
	notObject := &Error{Status: http.StatusBadRequest, Code: "bad_request",
		Message: `The body must be a JSON object, such as {"idle_minutes": 60, "absolute_minutes": 480}.`}
	raw, err := readJSONObject(body, notObject.Message)
	if err != nil {
		return policy.PolicyChange{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return policy.PolicyChange{}, notObject
	}
	var change policy.PolicyChange
	fields := map[string]string{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return policy.PolicyChange{}, notObject
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return policy.PolicyChange{}, notObject
		}
		if seen[key] {
			fields[key] = "appears more than once; give it once."
			continue
		}
		seen[key] = true
		switch key {
		case policy.FieldIdle:
			change.Account.Idle, fields[key] = minutesValue(value)
		case policy.FieldAbsolute:
			change.Account.Absolute, fields[key] = minutesValue(value)
		case policy.FieldRoles:
			change.Roles = decodeRolesPatch(value, fields)
		default:
			fields[truncate(key, maxEchoedKey)] = "is not a known field; use idle_minutes, absolute_minutes and roles."
		}
		if fields[key] == "" {
			delete(fields, key)
		}
	}
	if len(fields) > 0 {
		return policy.PolicyChange{}, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Some fields are unknown or have the wrong type.", Fields: fields}
	}
	return change, nil
}

// minutesValue reads a JSON integer as setting the field and null as clearing
// it; anything else gets a message. 1.0 and 1e2 are not integers here: a
// number must be written as one.
func minutesValue(v json.RawMessage) (policy.FieldChange, string) {
	const want = "must be a whole number of minutes or null"
	switch v[0] {
	case 'n':
		return policy.Clear(), ""
	case '"':
		return policy.Leave(), want + ", not a string."
	case 't', 'f':
		return policy.Leave(), want + ", not true or false."
	case '[':
		return policy.Leave(), want + ", not a list."
	case '{':
		return policy.Leave(), want + ", not an object."
	}
	if bytes.ContainsAny(v, ".eE") {
		return policy.Leave(), want + ", without a decimal point or exponent."
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return policy.Leave(), want + "; this number is far too large."
	}
	return policy.Set(n), ""
}
