package handlers

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/views"
	"curfew/words"
)

// policyCard describes the policy in force (the overrides and the limits they
// give), with the form showing it.
func (s *Server) policyCard(c echo.Context, o policy.Overrides, eff policy.Effective) views.PolicyCard {
	preset := presetStrict
	if !o.IsStrict() {
		preset = presetCustom
	}
	fills, unreachable := s.quickFills(eff)
	return views.PolicyCard{
		CSRF:         csrfToken(c),
		Effective:    eff,
		Overrides:    o,
		Settings:     s.settings,
		Form:         formValues(preset, eff),
		NeedPassword: !s.inSudoWindow(c),
		Standings:    standings(eff),
		Summary:      standingSummary(eff),
		QuickFills:   fills,
		Unreachable:  words.List(unreachable),
	}
}

// standings compare a policy with each published standard, for the card.
func standings(e policy.Effective) []views.Standing {
	var out []views.Standing
	for _, st := range policy.Compliance(e) {
		out = append(out, views.Standing{ID: st.ID, Label: st.Label(), Reference: st.Reference, Meets: st.Meets()})
	}
	return out
}

// quickFills are the Custom quick-fill buttons for the standards this
// server's bounds can meet, starting from the policy in force, and the names
// of those they cannot.
func (s *Server) quickFills(e policy.Effective) (fills []views.QuickFill, unreachable []string) {
	for _, st := range policy.Standards {
		next, ok := s.settings.QuickFill(st, e)
		if !ok {
			unreachable = append(unreachable, st.Short)
			continue
		}
		q := views.QuickFill{ID: st.ID, Short: st.Short, Message: fillMessage(st, next)}
		var detail []string
		if st.IdleMax > 0 {
			q.Idle, q.IdleUnit = inUnit(next.IdleMinutes)
			detail = append(detail, words.Minutes(next.IdleMinutes)+" idle")
		}
		if st.AbsoluteMax > 0 {
			q.Absolute, q.AbsoluteUnit = inUnit(next.AbsoluteMinutes)
			detail = append(detail, words.Minutes(next.AbsoluteMinutes)+" max")
		}
		q.Detail = strings.Join(detail, " · ")
		fills = append(fills, q)
	}
	return fills, unreachable
}

// fillMessage says what a quick-fill did; it is not saved yet.
func fillMessage(st policy.Standard, next policy.Effective) string {
	var set []string
	if st.IdleMax > 0 {
		set = append(set, words.Minutes(next.IdleMinutes)+" idle")
	}
	if st.AbsoluteMax > 0 {
		set = append(set, words.Minutes(next.AbsoluteMinutes)+" at most")
	}
	return "Filled in the limits of " + st.Name + ": " + strings.Join(set, ", ") + ". Not saved yet: check the preview, then save."
}

// fillStandard puts a standard's limits in the Custom inputs without saving
// them: the quick-fill of a browser without JavaScript. A standard this
// server's bounds cannot meet leaves the card as it was.
func (s *Server) fillStandard(card views.PolicyCard, st policy.Standard) views.PolicyCard {
	next, ok := s.settings.QuickFill(st, card.Effective)
	if !ok {
		return card
	}
	card.Form = formValues(presetCustom, next)
	card.FillStatus = fillMessage(st, next)
	return card
}

// impactStanding is the preview's sentence on published limits.
func impactStanding(e policy.Effective) string {
	var meets, fails []string
	for _, st := range policy.Compliance(e) {
		if st.Meets() {
			meets = append(meets, st.Short)
		} else {
			fails = append(fails, st.Short)
		}
	}
	switch {
	case len(fails) == 0:
		return "Within the limits of " + words.List(meets) + "."
	case len(meets) == 0:
		return "Beyond the limits of " + words.List(fails) + "."
	}
	return "Within the limits of " + words.List(meets) + "; beyond those of " + words.List(fails) + "."
}

// formValues shows a policy in the form, each limit in the largest unit that
// divides it: 14 days rather than 20160 minutes.
func formValues(preset string, e policy.Effective) views.PolicyFormValues {
	f := views.PolicyFormValues{Preset: preset}
	f.Idle, f.IdleUnit = inUnit(e.IdleMinutes)
	f.Absolute, f.AbsoluteUnit = inUnit(e.AbsoluteMinutes)
	return f
}

func inUnit(minutes int) (string, string) {
	n, unit := words.InUnit(minutes)
	return strconv.Itoa(n), unit
}
