package app

import (
	"strings"

	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
)

// planSources are the indicator engine's data sources over the rooms' Go APIs (never their tables), collected from
// each room's wiring file. Each reads with a platform principal — a county admin of the counties under the asked
// region — because the caller's own permission has already been checked by the plan room. Sources hold the App
// and reach their room at query time, so a room constructed after the engine (supervision) can still register one.
func (a *App) planSources() []indicator.Source {
	var out []indicator.Source
	for _, f := range []func() []indicator.Source{a.registrySources, a.federationSources, a.booksSources, a.serviceSources,
		a.supplySources, a.marketSources, a.creditSources, a.reformSources, a.supervisionSources} {
		out = append(out, f()...)
	}
	return out
}

// countyCodes lists the codes of the counties in the region tree.
func (a *App) countyCodes() []string {
	var codes []string
	for _, c := range a.Regions.Counties() {
		codes = append(codes, c.Code)
	}
	return codes
}

// platformReader is a county admin of every county under prefix ("" = all counties).
func (a *App) platformReader(name, prefix string) *auth.Principal {
	p := &auth.Principal{Username: name, Role: auth.CountyAdmin}
	for _, c := range a.Regions.Counties() {
		if strings.HasPrefix(c.Code, prefix) || (len(prefix) > 6 && strings.HasPrefix(prefix, c.Code[:6])) {
			p.Scopes = append(p.Scopes, c.Code)
		}
	}
	return p
}

// pad12 makes a 12-digit code from a prefix.
func pad12(prefix string) string {
	if len(prefix) >= 12 {
		return prefix[:12]
	}
	return prefix + strings.Repeat("0", 12-len(prefix))
}

// inPeriod reports whether a YYYY-MM-DD date lies in the query's period (open ends; empty dates count).
func inPeriod(date string, q indicator.Query) bool {
	if date == "" || (q.From.IsZero() && q.To.IsZero()) {
		return true
	}
	d := date[:min(10, len(date))]
	if !q.From.IsZero() && d < q.From.In(q.From.Location()).Format("2006-01-02") {
		return false
	}
	if !q.To.IsZero() && d >= q.To.In(q.To.Location()).Format("2006-01-02") {
		return false
	}
	return true
}

// commonPrefix is the longest prefix every prefix shares (so one list answers them all).
func commonPrefix(ps []string) string {
	if len(ps) == 0 {
		return ""
	}
	c := ps[0]
	for _, p := range ps[1:] {
		for !strings.HasPrefix(p, c) {
			c = c[:len(c)-1]
		}
	}
	return c
}
