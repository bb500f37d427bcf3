package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/views"
)

// Outcomes of a save, carried across the redirect of a plain form post.
const (
	statusSaved     = "saved"
	statusUnchanged = "unchanged"
	msgUnchanged    = "No changes to save."
)

// securityPage is the owner's security page: the policy in force, the form to
// change it, and sign-out-everywhere.
func (s *Server) securityPage(c echo.Context) error {
	// The overrides came with the session in the request's one lookup.
	card := s.policyCard(c, principal(c).Overrides)
	switch c.QueryParam("status") {
	case statusSaved:
		card.Status = savedMessage(card.Effective)
	case statusUnchanged:
		card.Status = msgUnchanged
	}
	if st, ok := policy.StandardByID(c.QueryParam("fill")); ok {
		card = s.fillStandard(card, st)
	}
	return s.renderPolicyCard(c, http.StatusOK, card)
}

// fillStandard puts a standard's limits in the Custom inputs without saving
// them: the quick-fill of a browser without JavaScript. A standard this
// server's bounds cannot meet leaves the card as it was.
func (s *Server) fillStandard(card views.PolicyCard, st policy.Standard) views.PolicyCard {
	next, ok := s.settings.QuickFill(st, card.Effective)
	if !ok {
		return card
	}
	card.Form = views.PolicyFormValues{
		Preset:   presetCustom,
		Idle:     strconv.Itoa(next.IdleMinutes),
		Absolute: strconv.Itoa(next.AbsoluteMinutes),
	}
	card.Filled = st.ID
	return card
}

// updatePolicy saves the policy form: htmx gets the re-rendered card, a plain
// post a redirect (303) or the page with its errors (422). Outside the sudo
// window the card asks for the password and the save goes through with it.
func (s *Server) updatePolicy(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	form, ferrs, err := s.readPolicyForm(c)
	if err != nil {
		return err
	}
	card := s.policyCard(c, principal(c).Overrides)
	card.Form = form.values()
	apply := func(old policy.Policy) (policy.Policy, error) {
		next := old.Clone()
		next.Account = form.apply(old.Account, s.settings)
		return next, s.settings.ValidatePolicy(old, next)
	}
	// Validate before asking for the password, so the owner fixes the values first.
	if len(ferrs) == 0 {
		_, err = apply(p.Policy)
		if !errors.As(err, &ferrs) && err != nil {
			return err
		}
	}
	if len(ferrs) > 0 {
		card.Errors = ferrs
		return s.renderPolicyCard(c, http.StatusUnprocessableEntity, card)
	}
	if err := s.sudo(c, form.Password); err != nil {
		var e *Error
		if !errors.As(err, &e) || (e != errReauthRequired && e.Fields[fieldPassword] == "") {
			return err
		}
		msg := e.Fields[fieldPassword]
		if e == errReauthRequired {
			msg = "Enter your password to save this change."
		}
		card.NeedPassword = true
		card.Errors = map[string]string{fieldPassword: msg}
		return s.renderPolicyCard(c, e.Status, card)
	}
	change, err := s.store.UpdatePolicy(ctx, p.AccountID, s.actor(c), s.settings, apply)
	if errors.As(err, &ferrs) {
		// Another owner changed the policy between the check above and the lock.
		card = s.policyCard(c, change.Old.Account)
		card.Form, card.Errors = form.values(), ferrs
		return s.renderPolicyCard(c, http.StatusUnprocessableEntity, card)
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		outcome := statusSaved
		if !change.Changed {
			outcome = statusUnchanged
		}
		return c.Redirect(http.StatusSeeOther, "/settings/security?status="+outcome)
	}
	card = s.policyCard(c, change.New.Account)
	card.Status = savedMessage(card.Effective)
	if !change.Changed {
		card.Status = msgUnchanged
	} else {
		c.Response().Header().Set("HX-Trigger", policySavedEvent)
	}
	return s.renderPolicyCard(c, http.StatusOK, card)
}

// previewPolicy is the live check as the owner types: the field errors, or
// the policy the form would put in force and the sessions it would end at
// once. Nothing is saved.
func (s *Server) previewPolicy(c echo.Context) error {
	p := principal(c)
	form, ferrs, err := s.readPolicyForm(c)
	if err != nil {
		return err
	}
	old := principal(c).Overrides
	pv := views.PolicyPreview{State: views.PreviewInvalid}
	if len(ferrs) == 0 {
		next := form.apply(old, s.settings)
		err := s.settings.ValidatePolicy(p.Policy, policy.Policy{Account: next, Roles: p.Policy.Roles})
		switch {
		case errors.As(err, &ferrs):
		case err != nil:
			return err
		case next.Equal(old):
			pv.State = views.PreviewUnchanged
		default:
			pv.State, pv.Next = views.PreviewChange, s.settings.EffectivePolicy(next)
			if err := s.previewByRole(c, &pv, policy.Policy{Account: next, Roles: p.Policy.Roles}); err != nil {
				return err
			}
		}
	}
	pv.Errors = ferrs
	status := http.StatusOK
	if len(ferrs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return renderFragmentOrPage(c, status, views.PolicyPreviewUpdate(pv), func() (templ.Component, error) {
		card := s.policyCard(c, old)
		card.Form, card.Errors, card.Preview = form.values(), ferrs, pv
		return s.securityView(c, card)
	})
}

// readPolicyForm parses the posted body only (never the query string).
func (s *Server) readPolicyForm(c echo.Context) (policyForm, policy.FieldErrors, error) {
	r := c.Request()
	if err := r.ParseForm(); err != nil {
		return policyForm{}, nil, &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "The form could not be read."}
	}
	f, ferrs := parsePolicyForm(r.PostForm, s.settings)
	return f, ferrs, nil
}

// policyCard describes the policy in force under the given overrides, with
// the form showing it.
func (s *Server) policyCard(c echo.Context, o policy.Overrides) views.PolicyCard {
	eff := s.settings.EffectivePolicy(o)
	preset := presetStrict
	if !o.IsStrict() {
		preset = presetCustom
	}
	return views.PolicyCard{
		CSRF:      csrfToken(c),
		Effective: eff,
		Overrides: o,
		Settings:  s.settings,
		Form: views.PolicyFormValues{
			Preset:   preset,
			Idle:     strconv.Itoa(eff.IdleMinutes),
			Absolute: strconv.Itoa(eff.AbsoluteMinutes),
		},
		NeedPassword: !s.inSudoWindow(c),
	}
}

// renderPolicyCard answers with the card for htmx and the whole page otherwise.
// The card alone needs no counts, so an htmx request runs no query for them.
func (s *Server) renderPolicyCard(c echo.Context, status int, card views.PolicyCard) error {
	return renderFragmentOrPage(c, status, views.PolicyCardView(card), func() (templ.Component, error) {
		return s.securityView(c, card)
	})
}

// securityView is the whole security page around a policy card, with the
// sign-out-everywhere counts up to countsTTL old (the confirmation counts
// afresh).
func (s *Server) securityView(c echo.Context, card views.PolicyCard) (templ.Component, error) {
	return s.securityViewWith(c, card, s.rolePolicyCard(c, principal(c).Policy))
}

func savedMessage(e policy.Effective) string {
	return "Saved. Sessions now end after " + policy.HumanMinutes(e.IdleMinutes) + " without activity, and at most " +
		policy.HumanMinutes(e.AbsoluteMinutes) + " after sign-in."
}
