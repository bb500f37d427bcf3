package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/views"
)

// The role form's fields beside idle_minutes and absolute_minutes.
const (
	fieldRole      = "role"
	fieldAction    = "action"
	roleActionSave = "save"
	roleActionClr  = "clear"
)

// roleForm is a role's form on the security page as posted: the raw values,
// kept to show them back, and the overrides they mean. An empty input
// follows the account.
type roleForm struct {
	Role     string
	Clear    bool
	Idle     string
	Absolute string
	Password string
	next     policy.RoleChange
}

// parseRoleForm reads a role form strictly. An unknown role is not a field
// the form can show, so it is an error of its own; every other problem is a
// message for its field.
func parseRoleForm(form url.Values, s policy.Settings) (roleForm, policy.FieldErrors, error) {
	f := roleForm{
		Role:     strings.TrimSpace(first(form[fieldRole])),
		Idle:     first(form[policy.FieldIdle]),
		Absolute: first(form[policy.FieldAbsolute]),
		Password: first(form[fieldPassword]),
	}
	if len(form[fieldRole]) != 1 || !policy.KnownRole(f.Role) {
		return f, nil, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Choose one role: owner or engineer.", Fields: map[string]string{fieldRole: "must be owner or engineer"}}
	}
	switch first(form[fieldAction]) {
	case "", roleActionSave:
	case roleActionClr:
		f.Clear, f.Idle, f.Absolute = true, "", ""
		f.next = policy.RoleChange{Idle: policy.Clear(), Absolute: policy.Clear()}
		return f, nil, nil
	default:
		return f, nil, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Choose Save or Clear.", Fields: map[string]string{fieldAction: "must be save or clear"}}
	}
	errs := policy.FieldErrors{}
	whose := "the " + policy.RolePlural(f.Role) + "' "
	var msg string
	if f.next.Idle, msg = optionalMinutes(form[policy.FieldIdle], whose+"idle timeout", s.IdleMax); msg != "" {
		errs[policy.FieldIdle] = msg
	}
	if f.next.Absolute, msg = optionalMinutes(form[policy.FieldAbsolute], whose+"absolute lifetime", s.AbsoluteMax); msg != "" {
		errs[policy.FieldAbsolute] = msg
	}
	return f, errs, nil
}

// optionalMinutes is parseMinutes for an input that may be left empty,
// which clears the role's value so it follows the account.
func optionalMinutes(vs []string, name string, hi int) (policy.FieldChange, string) {
	if len(vs) <= 1 && strings.TrimSpace(first(vs)) == "" {
		return policy.Clear(), ""
	}
	n, msg := parseMinutes(vs, 1, name, hi)
	if msg != "" {
		return policy.Leave(), msg
	}
	return policy.Set(n), ""
}

// change is the role form as a change of the account's policy: the role's
// two values as typed, an empty one cleared.
func (f roleForm) change() policy.PolicyChange {
	return policy.PolicyChange{Roles: map[string]policy.RoleChange{f.Role: f.next}}
}

// roleFieldErrors keeps the errors of one role's fields under the form's
// own names (idle_minutes, absolute_minutes). Anything else ValidatePolicy
// says goes on the idle input, so it is never lost.
func roleFieldErrors(role string, errs policy.FieldErrors) map[string]string {
	out := map[string]string{}
	prefix := policy.RoleField(role, "")
	for k, msg := range errs {
		field, ok := strings.CutPrefix(k, prefix)
		if !ok || (field != policy.FieldIdle && field != policy.FieldAbsolute) {
			field = policy.FieldIdle
		}
		if out[field] == "" {
			out[field] = msg
		}
	}
	return out
}

// rolePolicyCard describes every role under p, with forms showing the
// stored values.
func (s *Server) rolePolicyCard(c echo.Context, p policy.Policy) views.RolePolicyCard {
	card := views.RolePolicyCard{
		CSRF:         csrfToken(c),
		NeedPassword: !s.inSudoWindow(c),
	}
	account := s.settings.EffectivePolicy(p.Account)
	for _, a := range s.settings.Applied(p) {
		card.Roles = append(card.Roles, views.RolePolicyRow{
			Applied:      a,
			Summary:      roleSummary(a),
			Standing:     impactStanding(a.Effective),
			IdleHint:     followHint(account.IdleMinutes, s.settings.IdleMin, s.settings.IdleMax),
			AbsoluteHint: followHint(account.AbsoluteMinutes, s.settings.AbsoluteMin, s.settings.AbsoluteMax),
			Form: views.RoleFormValues{
				Idle: minutesText(a.Overrides.IdleMinutes), Absolute: minutesText(a.Overrides.AbsoluteMinutes),
			},
		})
	}
	if c.Request().Method == http.MethodGet {
		switch c.QueryParam("roles") {
		case statusSaved:
			card.Status = "Saved. " + roleSummaries(card)
		case statusUnchanged:
			card.Status = msgUnchanged
		}
	}
	return card
}

// roleSummaries says what every role lives by, as the card lists it.
func roleSummaries(card views.RolePolicyCard) string {
	var parts []string
	for _, r := range card.Roles {
		parts = append(parts, r.Summary+".")
	}
	return strings.Join(parts, " ")
}

func minutesText(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

// withRoleForm shows a posted form, its errors and preview on its role's row.
func withRoleForm(card views.RolePolicyCard, f roleForm, errs map[string]string, pv views.RolePreview) views.RolePolicyCard {
	for i := range card.Roles {
		if card.Roles[i].Role == f.Role {
			card.Roles[i].Form = views.RoleFormValues{Idle: f.Idle, Absolute: f.Absolute}
			card.Roles[i].Errors = errs
			card.Roles[i].Preview = pv
		}
	}
	return card
}

// policySavedEvent is the htmx event a saved account policy sends, on which
// the role card reloads: roles that follow the account show its new values.
const policySavedEvent = "policy-saved"

// rolePolicySection is the role card as it is now, for htmx to reload it.
func (s *Server) rolePolicySection(c echo.Context) error {
	return s.renderRoleCard(c, http.StatusOK, s.rolePolicyCard(c, principal(c).Policy))
}

// updateRolePolicy saves one role's form: htmx gets the re-rendered card, a
// plain post a redirect (303) or the page with its errors (422). Outside the
// sudo window it asks for the password, as the account's policy does.
func (s *Server) updateRolePolicy(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	form, ferrs, err := s.readRoleForm(c)
	if err != nil {
		return err
	}
	change := form.change()
	if len(ferrs) == 0 {
		// Checked before the password is asked for, so the owner fixes the
		// values first; the store checks again under the account's lock.
		if _, err := s.settings.ApplyPolicy(p.Policy, change); err != nil && !errors.As(err, &ferrs) {
			return err
		}
	}
	card := s.rolePolicyCard(c, p.Policy)
	if len(ferrs) > 0 {
		card = withRoleForm(card, form, roleFieldErrors(form.Role, ferrs), views.RolePreview{})
		return s.renderRoleCard(c, http.StatusUnprocessableEntity, card)
	}
	if err := s.sudo(c, form.Password); err != nil {
		msg, status, ok := passwordPrompt(err)
		if !ok {
			return err
		}
		card.NeedPassword = true
		card = withRoleForm(card, form, map[string]string{fieldPassword: msg}, views.RolePreview{})
		return s.renderRoleCard(c, status, card)
	}
	u, err := s.store.UpdatePolicy(ctx, p.AccountID, s.actor(c), s.settings, change)
	if errors.As(err, &ferrs) {
		// Another owner changed the policy between the check above and the lock.
		card = withRoleForm(s.rolePolicyCard(c, u.OldPolicy), form, roleFieldErrors(form.Role, ferrs), views.RolePreview{})
		return s.renderRoleCard(c, http.StatusUnprocessableEntity, card)
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		outcome := statusSaved
		if !u.Changed() {
			outcome = statusUnchanged
		}
		return c.Redirect(http.StatusSeeOther, "/settings/security?roles="+outcome+"#role-policies")
	}
	card = s.rolePolicyCard(c, u.NewPolicy)
	card.Status = msgUnchanged
	if u.Changed() {
		card.Status = "Saved. " + roleSummaries(card)
	}
	return s.renderRoleCard(c, http.StatusOK, card)
}

// previewRolePolicy is a role form's live check: the field errors, or what
// the role's sessions would live by and how many of them would end at once.
func (s *Server) previewRolePolicy(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	form, ferrs, err := s.readRoleForm(c)
	if err != nil {
		return err
	}
	pv := views.RolePreview{State: views.PreviewInvalid}
	var u policy.PolicyUpdate
	if len(ferrs) == 0 {
		u, err = s.settings.ApplyPolicy(p.Policy, form.change())
		if err != nil && !errors.As(err, &ferrs) {
			return err
		}
	}
	if len(ferrs) == 0 {
		next := u.NewPolicy
		a := s.settings.AppliedForRole(next.Account, next.Role(form.Role))
		a.Role = form.Role
		pv.Next, pv.Source, pv.Standing = a.Effective, roleSourceWords(a), impactStanding(a.Effective)
		if !u.Changed() {
			pv.State = views.PreviewUnchanged
		} else {
			pv.State = views.PreviewChange
			im, err := s.store.PolicyImpactByRole(ctx, p.AccountID, s.roleEffectives(p.Policy), s.roleEffectives(next),
				p.SessionID, p.UserID, s.now())
			if err != nil {
				return err
			}
			r := im[form.Role]
			pv.Sessions, pv.People, pv.IncludesCurrent, pv.Yours = r.Sessions, r.People, r.IncludesCurrent, r.Yours
		}
	}
	errs := roleFieldErrors(form.Role, ferrs)
	status := http.StatusOK
	if len(ferrs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return renderFragmentOrPage(c, status, views.RolePreviewUpdate(form.Role, pv, errs), func() (templ.Component, error) {
		card := withRoleForm(s.rolePolicyCard(c, p.Policy), form, errs, pv)
		return s.securityViewWith(c, s.policyCard(c, p.Overrides, p.AccountEffective()), card)
	})
}

// previewByRole counts, role by role, the sessions the account's next policy
// would end: each session under its own role's values, so owners with their
// own limits are not counted under the account's.
func (s *Server) previewByRole(c echo.Context, pv *views.PolicyPreview, next policy.Policy) error {
	p := principal(c)
	im, err := s.store.PolicyImpactByRole(c.Request().Context(), p.AccountID, s.roleEffectives(p.Policy), s.roleEffectives(next),
		p.SessionID, p.UserID, s.now())
	if err != nil {
		return err
	}
	for _, role := range policy.Roles {
		r, ok := im[role]
		if !ok {
			continue
		}
		pv.Sessions += r.Sessions
		pv.People += r.People // one role per person: no one is counted twice
		pv.IncludesCurrent = pv.IncludesCurrent || r.IncludesCurrent
		pv.Yours += r.Yours
		pv.ByRole = append(pv.ByRole, views.RoleImpactLine{Role: role, Sessions: r.Sessions, People: r.People})
	}
	return nil
}

// roleEffectives is what every role lives by under p.
func (s *Server) roleEffectives(p policy.Policy) map[string]policy.Effective {
	out := make(map[string]policy.Effective, len(policy.Roles))
	for _, role := range policy.Roles {
		out[role] = s.settings.EffectiveForRole(p.Account, p.Role(role))
	}
	return out
}

// readRoleForm parses the posted body only (never the query string).
func (s *Server) readRoleForm(c echo.Context) (roleForm, policy.FieldErrors, error) {
	r := c.Request()
	if err := r.ParseForm(); err != nil {
		return roleForm{}, nil, &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "The form could not be read."}
	}
	return parseRoleForm(r.PostForm, s.settings)
}

// renderRoleCard answers with the role card for htmx and the whole page otherwise.
func (s *Server) renderRoleCard(c echo.Context, status int, card views.RolePolicyCard) error {
	return renderFragmentOrPage(c, status, views.RolePolicyCardView(card), func() (templ.Component, error) {
		p := principal(c)
		return s.securityViewWith(c, s.policyCard(c, p.Overrides, p.AccountEffective()), card)
	})
}

// securityViewWith is the whole security page around a policy card and a
// role card.
func (s *Server) securityViewWith(c echo.Context, card views.PolicyCard, roles views.RolePolicyCard) (templ.Component, error) {
	n, err := s.recentAccountCounts(c)
	if err != nil {
		return nil, err
	}
	return views.SecurityView(views.Security{Page: s.page(c, "Security", "security"), Policy: card, Roles: roles, Revoke: s.summaryOf(c, n)}), nil
}
