package handlers

import "curfew/policy"

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
