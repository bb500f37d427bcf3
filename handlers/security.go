package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
	"curfew/words"
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
	p := principal(c)
	card := s.policyCard(c, p.Overrides, p.AccountEffective())
	switch c.QueryParam("status") {
	case statusSaved:
		card.Status = savedMessage(card.Effective) + endedNote(savedEnded(c))
	case statusUnchanged:
		card.Status = msgUnchanged
	}
	if st, ok := policy.StandardByID(c.QueryParam("fill")); ok {
		card = s.fillStandard(card, st)
	}
	return s.renderPolicyCard(c, http.StatusOK, card)
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
	card := s.policyCard(c, p.Overrides, p.AccountEffective())
	card.Form = form.values()
	change := form.change()
	if len(ferrs) == 0 && !s.inSudoWindow(c) {
		// Nothing is saved without the password; the values are checked
		// first so that the owner fixes them before being asked for it.
		_, err = s.settings.ApplyPolicy(p.Policy, policy.PolicyChange{Account: change})
		if !errors.As(err, &ferrs) && err != nil {
			return err
		}
	}
	if len(ferrs) > 0 {
		card.Errors = ferrs
		return s.renderPolicyCard(c, http.StatusUnprocessableEntity, card)
	}
	im, err := s.policyImpactOf(c, change)
	if err != nil {
		return err
	}
	if im.Sessions > 0 {
		if im.Sessions > confirmedEnd(c) {
			return s.askToConfirmEnd(c, card, im)
		}
		card.Preview = confirmEndPreview(im) // kept if the password is asked for
	}
	if err := s.sudo(c, form.Password); err != nil {
		return s.askForPassword(c, card, err)
	}
	u, err := s.store.UpdateSessionPolicy(ctx, p.AccountID, s.actor(c), s.settings, change)
	if errors.As(err, &ferrs) {
		// Checked against the policy as it is now, under the account's lock
		// (which another owner may have changed since this page was read).
		card = s.policyCard(c, u.Old, u.EffectiveOld)
		card.Form, card.Errors = form.values(), ferrs
		return s.renderPolicyCard(c, http.StatusUnprocessableEntity, card)
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		outcome := statusSaved
		if !u.Changed() {
			outcome = statusUnchanged
		}
		target := "/settings/security?status=" + outcome
		if im.Sessions > 0 && u.Changed() {
			target += "&ended=" + strconv.Itoa(im.Sessions)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
	card = s.policyCard(c, u.New, u.EffectiveNew)
	card.Status = savedMessage(card.Effective) + endedNote(im.Sessions)
	if !u.Changed() {
		card.Status = msgUnchanged
	} else {
		c.Response().Header().Set("HX-Trigger", policySavedEvent)
	}
	return s.renderPolicyCard(c, http.StatusOK, card)
}

// askForPassword answers a save that the sudo window stopped: the card with
// the password prompt and what to do (no password given, a wrong one, too
// many attempts). Any other error is returned as it is.
func (s *Server) askForPassword(c echo.Context, card views.PolicyCard, err error) error {
	msg, status, ok := passwordPrompt(err)
	if !ok {
		return err
	}
	card.NeedPassword = true
	card.Errors = map[string]string{fieldPassword: msg}
	return s.renderPolicyCard(c, status, card)
}

// passwordPrompt is what a save form says when the sudo window stopped it
// (err from sudo), and with which status; ok is false for any other error.
func passwordPrompt(err error) (msg string, status int, ok bool) {
	var e *Error
	if !errors.As(err, &e) || (e != errReauthRequired && e.Fields[fieldPassword] == "") {
		return "", 0, false
	}
	if e == errReauthRequired {
		return "Enter your password to save this change.", e.Status, true
	}
	return e.Fields[fieldPassword], e.Status, true
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
	incomplete := form.stillTyping(ferrs)
	pv := views.PolicyPreview{State: views.PreviewInvalid}
	if incomplete && len(ferrs) == 0 {
		pv.State = views.PreviewIncomplete
	} else if len(ferrs) == 0 {
		u, err := s.settings.ApplyPolicy(p.Policy, policy.PolicyChange{Account: form.change()})
		switch {
		case errors.As(err, &ferrs):
		case err != nil:
			return err
		case !u.Changed():
			pv.State = views.PreviewUnchanged
		default:
			pv.State, pv.Next, pv.Standing = views.PreviewChange, u.EffectiveNew, impactStanding(u.EffectiveNew)
			if err := s.previewByRole(c, &pv, u.NewPolicy); err != nil {
				return err
			}
			pv.Save = policySave(store.PolicyImpact{Sessions: pv.Sessions, People: pv.People,
				IncludesCurrent: pv.IncludesCurrent, Yours: pv.Yours}, false)
		}
	}
	pv.Errors = ferrs
	status := http.StatusOK
	if len(ferrs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return renderFragmentOrPage(c, status, views.PolicyPreviewUpdate(pv), func() (templ.Component, error) {
		card := s.policyCard(c, p.Overrides, p.AccountEffective())
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

// renderPolicyCard answers with the card for htmx and the whole page otherwise.
// The card alone needs no counts, so an htmx request runs no query for them.
func (s *Server) renderPolicyCard(c echo.Context, status int, card views.PolicyCard) error {
	return renderFragmentOrPage(c, status, views.PolicyCardView(card), func() (templ.Component, error) {
		return s.securityView(c, card)
	})
}

// securityView is the whole security page around a policy card, with the
// sign-out-everywhere counts up to countcache.TTL old (the confirmation counts
// afresh).
func (s *Server) securityView(c echo.Context, card views.PolicyCard) (templ.Component, error) {
	return s.securityViewWith(c, card, s.rolePolicyCard(c, principal(c).Policy))
}

func savedMessage(e policy.Effective) string {
	return "Saved. Sessions now end after " + words.Minutes(e.IdleMinutes) + " without activity, and at most " +
		words.Minutes(e.AbsoluteMinutes) + " after sign-in."
}
