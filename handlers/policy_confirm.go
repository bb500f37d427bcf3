package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
	"curfew/words"
)

// Saving a policy that ends sessions is a decision: the save button names how
// many it ends, and the first press shows a confirmation instead of saving.
// The confirmation's button sends confirm_end=N, the count it showed; a save
// goes through when no more sessions would end than that (more may have
// signed in since, and then the owner is asked again).

// fieldConfirmEnd is the policy form's confirmation of the sessions it ends.
const fieldConfirmEnd = "confirm_end"

// confirmedEnd is the confirm_end the form carries; anything but a count
// confirms nothing.
func confirmedEnd(c echo.Context) int {
	n, err := strconv.Atoi(c.Request().PostForm.Get(fieldConfirmEnd))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// policyImpactOf is what saving change would end at once, each session
// under its own role's values; nothing for a change that is invalid (its
// errors are reported by the save) or changes nothing.
func (s *Server) policyImpactOf(c echo.Context, change policy.Change) (store.PolicyImpact, error) {
	p := principal(c)
	u, err := s.settings.ApplyPolicy(p.Policy, policy.PolicyChange{Account: change})
	if err != nil || !u.Changed() {
		return store.PolicyImpact{}, nil
	}
	var pv views.PolicyPreview
	if err := s.previewByRole(c, &pv, u.NewPolicy); err != nil {
		return store.PolicyImpact{}, err
	}
	return store.PolicyImpact{Sessions: pv.Sessions, People: pv.People, IncludesCurrent: pv.IncludesCurrent, Yours: pv.Yours}, nil
}

// policySave is the save button for a change with impact im: a warning that
// names the count, which leads to the confirmation, or (confirming) the
// confirmation's own button.
func policySave(im store.PolicyImpact, confirming bool) views.PolicySave {
	if im.Sessions == 0 {
		return views.PolicySave{}
	}
	label := "Save and end " + words.Plural(im.Sessions, "session", "sessions")
	if im.IncludesCurrent {
		label += ", yours included"
	}
	if !confirming {
		return views.PolicySave{Label: label + "…", Danger: true}
	}
	return views.PolicySave{Label: label, Danger: true, ConfirmEnd: im.Sessions}
}

// confirmEndPreview is the preview region as the confirmation step.
func confirmEndPreview(im store.PolicyImpact) views.PolicyPreview {
	return views.PolicyPreview{State: views.PreviewConfirm, Sessions: im.Sessions, People: im.People,
		IncludesCurrent: im.IncludesCurrent, Yours: im.Yours, Save: policySave(im, true)}
}

// endedNote is what the saved message adds when the save ended sessions.
func endedNote(n int) string {
	if n == 0 {
		return ""
	}
	return " " + words.Plural(n, "session", "sessions") + " ended: each goes to the sign-in page at its next request."
}

// askToConfirmEnd answers the first press of a save that ends sessions: the
// card, unsaved, with the confirmation (200: nothing is wrong with the form).
func (s *Server) askToConfirmEnd(c echo.Context, card views.PolicyCard, im store.PolicyImpact) error {
	card.Preview = confirmEndPreview(im)
	return s.renderPolicyCard(c, http.StatusOK, card)
}

// savedEnded reads ?ended=N after a plain form post's redirect.
func savedEnded(c echo.Context) int {
	n, err := strconv.Atoi(c.QueryParam("ended"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
