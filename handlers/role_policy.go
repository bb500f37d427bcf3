package handlers

import "curfew/policy"

// effectiveFor is what sessions of people with role live by in the caller's
// account, from the policy the request's lookup read.
func (s *Server) effectiveFor(p *Principal, role string) policy.Effective {
	return p.EffectiveFor(role)
}

// loosestPolicy is the longest idle timeout and the longest lifetime any role
// of the caller's account has. Lists and counts of the account's sessions
// take it, so a session still valid under its own role's values is never left
// out; one past a shorter role's values ends at its next request.
func (s *Server) loosestPolicy(p *Principal) policy.Effective {
	var out policy.Effective
	for _, role := range policy.Roles {
		e := s.effectiveFor(p, role)
		out.IdleMinutes = max(out.IdleMinutes, e.IdleMinutes)
		out.AbsoluteMinutes = max(out.AbsoluteMinutes, e.AbsoluteMinutes)
	}
	return out
}

// roleSecurityBody is one role in the "roles" of /api/accounts/me/security:
// its own overrides and what its sessions live by.
type roleSecurityBody struct {
	IdleMinutes              *int `json:"idle_minutes"`
	AbsoluteMinutes          *int `json:"absolute_minutes"`
	EffectiveIdleMinutes     int  `json:"effective_idle_minutes"`
	EffectiveAbsoluteMinutes int  `json:"effective_absolute_minutes"`
}

// rolesBody lists every role, always, whether it has overrides or not.
func (s *Server) rolesBody(p policy.Policy) map[string]roleSecurityBody {
	out := make(map[string]roleSecurityBody, len(policy.Roles))
	for _, a := range s.settings.Applied(p) {
		out[a.Role] = roleSecurityBody{
			IdleMinutes:              a.Overrides.IdleMinutes,
			AbsoluteMinutes:          a.Overrides.AbsoluteMinutes,
			EffectiveIdleMinutes:     a.Effective.IdleMinutes,
			EffectiveAbsoluteMinutes: a.Effective.AbsoluteMinutes,
		}
	}
	return out
}
