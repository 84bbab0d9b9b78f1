package demo

import (
	"math"

	"nongfu/internal/region"
	"nongfu/internal/registry"
)

// org is one generated organisation; key marks the subjects the demo accounts belong to.
type org struct {
	in  registry.SubjectInput
	key string
}

// Credit code prefixes: 登记管理部门 + 机构类别, followed by the county's code (plan.cc).
const (
	ccCooperative = "93" // market regulation, 农民专业合作社
	ccEnterprise  = "91" // market regulation, enterprise
	ccSoleTrader  = "92" // market regulation, 个体工商户 (most 家庭农场)
	ccCollective  = "N2" // agriculture, 村级集体经济组织
	ccSociety     = "51" // civil affairs, 社会团体
)

// cc is the 8-character credit code prefix of an organisation of kind cc… in the plan's county: "93500237".
func (p *plan) cc(kind string) string { return kind + region.County(p.county.Code) }

// logUniform returns a value between lo and hi, evenly spread on a log scale (many small, few large).
func (g *gen) logUniform(lo, hi float64) float64 {
	return round1(lo * math.Exp(g.r.Float64()*math.Log(hi/lo)))
}

// coopIndustry picks a cooperative's industry: the township's, now and then tea or mushrooms.
func (g *gen) coopIndustry(town string) string {
	if g.r.Float64() < 0.06 {
		return oneOf(g.r, []string{"茶叶", "食用菌"})
	}
	return g.industry(town)
}

// activity is how a cooperative names what it does: 脆李种植, 生猪养殖.
func (g *gen) activity(ind string) string {
	if ind == "畜禽" {
		return oneOf(g.r, livestock) + "养殖"
	}
	return ind + "种植"
}

// orgs makes every organisation of the county. Sizes grow a little with the number of households. full is for
// 巫山县, the demo county; the other counties get a smaller set: a few cooperatives and family farms per
// township, one 供销社 per township and the village collectives, with no companies, banks or associations.
func (p *plan) orgs(g *gen, households int, full bool) []org {
	r := g.r
	var out []org
	add := func(key, kind, code, name, rc, legal, id, phone string, inds []string, mu float64, led int, est string) {
		in := registry.SubjectInput{Kind: ptr(kind), Name: ptr(name), CreditCode: ptr(code), LegalRep: ptr(legal), RegionCode: ptr(rc),
			Address: ptr(regionAddress(p, rc)), EstablishedOn: ptr(est), RegisteredOn: ptr(est)}
		if id != "" {
			in.IDNumber = ptr(id)
		}
		if phone != "" {
			in.Phone = ptr(phone)
		}
		if len(inds) > 0 {
			in.Industries = ptr(inds)
		}
		if mu > 0 {
			in.ScaleMu = ptr(mu)
		}
		if led > 0 {
			in.HouseholdsLed = ptr(led)
		}
		if v := p.find(rc); v != nil {
			lng, lat := g.jitter(v.Lng, v.Lat, 0.003)
			in.Lng, in.Lat = ptr(lng), ptr(lat)
		}
		out = append(out, org{in: in, key: key})
	}
	rep := func() person {
		return g.newPerson("", between(r, 1958, 1990), r.Float64() < 0.8, true)
	}
	if full {
		g.names[memberName] = true
		g.names[providerName] = true
	}
	cn := p.county.Name

	for _, t := range p.townships {
		ts := short(t.Name)
		rural := p.ruralVillages(t)
		hh := p.hhTown[t.Code]
		led := func() int { return min(800, 8+r.IntN(max(20, hh/4))) }

		if full && t == p.demoTown { // the member's and the provider's subjects
			v := rural[0]
			a := rep()
			add("member", "cooperative", g.creditCode(p.cc(ccCooperative)), memberName, v.Code, a.name, a.id, a.phone,
				[]string{"脆李"}, 860, max(60, led()), "2012-03-16")
			b := rep()
			add("provider", "cooperative", g.creditCode(p.cc(ccCooperative)), providerName, p.villages[t.Code][0].Code, b.name, b.id, b.phone,
				[]string{"粮油", "其他"}, 320, max(40, led()), "2016-09-08")
		}

		// 农民专业合作社
		nCoops := between(r, 3, 8) + between(r, 0, households/25000)
		if !full {
			nCoops = between(r, 1, 3) + between(r, 0, households/50000)
		}
		for range nCoops {
			v := oneOf(r, rural)
			ind := g.coopIndustry(t.Name)
			var name string
			switch x := r.Float64(); {
			case x < 0.08:
				ind = "粮油"
				name = g.uniqueName(func() string {
					return cn + short(oneOf(r, rural).Name) + oneOf(r, []string{"农机", "植保", "农业社会化服务"}) + "专业合作社"
				})
			case x < 0.45:
				name = g.uniqueName(func() string { return cn + short(v.Name) + g.activity(ind) + "专业合作社" })
			case x < 0.7:
				name = g.uniqueName(func() string { return cn + ts + g.activity(ind) + "专业合作社" })
			default:
				name = g.uniqueName(func() string { return cn + oneOf(r, lucky) + g.activity(ind) + "专业合作社" })
			}
			a := rep()
			add("", "cooperative", g.creditCode(p.cc(ccCooperative)), name, v.Code, a.name, a.id, a.phone,
				[]string{ind}, g.logUniform(50, 3000), led(), g.date(2008, 2023))
		}

		// 家庭农场
		nFarms := between(r, 3, 6) + between(r, 0, households/40000)
		if !full {
			nFarms = between(r, 1, 3) + between(r, 0, households/80000)
		}
		for range nFarms {
			v := oneOf(r, rural)
			a := rep()
			name := g.uniqueName(func() string {
				if r.IntN(2) == 0 {
					return cn + ts + a.name + "家庭农场"
				}
				return cn + short(v.Name) + oneOf(r, lucky) + "家庭农场"
			})
			add("", "family_farm", g.creditCode(p.cc(ccSoleTrader)), name, v.Code, a.name, a.id, a.phone,
				[]string{g.industry(t.Name)}, g.logUniform(30, 300), r.IntN(16), g.date(2014, 2023))
		}

		// 村集体经济组织: one for every third village
		for i, v := range p.villages[t.Code] {
			if i%3 != 0 {
				continue
			}
			a := rep()
			add("", "village_collective", g.creditCode(p.cc(ccCollective)), cn+t.Name+v.Name+"股份经济合作联合社", v.Code, a.name, "", "",
				[]string{g.industry(t.Name)}, g.logUniform(100, 2000), v.households, g.date(2018, 2021))
		}

		// 基层供销社
		a := rep()
		add("", "supply_coop", g.creditCode(p.cc(ccEnterprise)), cn+t.Name+"供销合作社", t.Code, a.name, "", a.phone,
			nil, 0, 0, g.date(1952, 1958))

		// 农村综合服务社 in about half of the townships
		if !full {
			continue
		}
		if r.IntN(2) == 0 || t == p.demoTown {
			v := oneOf(r, rural)
			a := rep()
			add("", "service_coop", g.creditCode(p.cc(ccEnterprise)), g.uniqueName(func() string { return cn + ts + v.Name + "农村综合服务社" }),
				v.Code, a.name, "", a.phone, nil, 0, 0, g.date(2015, 2022))
		}
	}

	if !full {
		return out
	}

	// county-wide: companies, finance, associations
	nEnt := min(len(enterpriseNames), 4+households/25000)
	for _, e := range enterpriseNames[:nEnt] {
		t := oneOf(r, p.townships)
		v := oneOf(r, p.ruralVillages(t))
		a := rep()
		g.names[e.name] = true
		add("", "enterprise", g.creditCode(p.cc(ccEnterprise)), e.name, v.Code, a.name, "", a.phone,
			[]string{e.industry}, g.logUniform(100, 3000), min(2000, 50+r.IntN(max(50, households/100))), g.date(2008, 2021))
	}
	seat := p.seatTown.Code
	for _, f := range []struct{ key, kind, name, est string }{
		{"bank", "bank", bankName, "2008-11-26"},
		{"", "bank", "中国农业银行巫山支行", "1980-05-12"},
		{"", "guarantor", "重庆渝东融资担保有限公司巫山分公司", "2013-07-01"},
		{"", "insurer", "中国人寿财产保险股份有限公司巫山县支公司", "2009-04-20"},
	} {
		add(f.key, f.kind, g.creditCode(p.cc(ccEnterprise)), f.name, seat, rep().name, "", "", nil, 0, 0, f.est)
	}
	add("", "association", g.creditCode(p.cc(ccSociety)), "巫山县脆李协会", seat, rep().name, "", "", []string{"脆李"}, 0, min(3000, households/10), "2017-06-18")
	add("", "association", g.creditCode(p.cc(ccSociety)), "巫山县中药材产业协会", seat, rep().name, "", "", []string{"中药材"}, 0, min(2000, households/20), "2019-10-09")
	return out
}

// find returns the village or township region of code from the plan.
func (p *plan) find(code string) *region.Region {
	for _, t := range p.townships {
		if t.Code == code {
			return t
		}
	}
	for _, v := range p.villages[region.Township(code)] {
		if v.Code == code {
			return v.Region
		}
	}
	return nil
}

func regionAddress(p *plan, code string) string {
	if r := p.find(code); r != nil {
		return r.FullName
	}
	return ""
}
