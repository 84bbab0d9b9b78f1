package app

import (
	"context"
	"fmt"
	"strings"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/market"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
)

// Wiring of the market room (产销对接, brands): constructor, indicator sources, importers and demo data.

func (a *App) newMarket(ctx context.Context) error {
	a.Market = market.NewService(a.DB, a.Regions, a.Registry)
	return nil
}

func (a *App) marketSources() []indicator.Source {
	return []indicator.Source{
		marketSource{key: "market.contracts", name: "订单农业合同（产销对接模块，期内双方签订、按卖方所在地）", f: func(ctx context.Context, q indicator.Query, pre []string) ([]int64, error) {
			n, _, err := a.Market.ContractFigures(ctx, pre, q.From, q.To)
			return n, err
		}},
		marketSource{key: "market.contract_value_yuan", name: "订单合同金额（元，含补充协议，期内签订）", yuan: true, f: func(ctx context.Context, q indicator.Query, pre []string) ([]int64, error) {
			_, v, err := a.Market.ContractFigures(ctx, pre, q.From, q.To)
			return v, err
		}},
		marketSource{key: "market.brand_members", name: "区域公用品牌授权主体（期末授权有效；筛选 brand=品牌名称）", f: func(ctx context.Context, q indicator.Query, pre []string) ([]int64, error) {
			var brand int64
			if name := strings.TrimSpace(q.Filter["brand"]); name != "" {
				id, err := a.Market.BrandID(ctx, name)
				if err != nil {
					return nil, err
				}
				if id == 0 {
					return nil, fmt.Errorf("market.brand_members: 没有品牌“%s”", name)
				}
				brand = id
			}
			return a.Market.BrandMembers(ctx, pre, brand, q.To)
		}},
		marketSource{key: "market.listings", name: "供求信息（期内发布；筛选 side=supply 供应 / demand 求购）", f: func(ctx context.Context, q indicator.Query, pre []string) ([]int64, error) {
			side := q.Filter["side"]
			if side != "" && side != market.SideSupply && side != market.SideDemand {
				return nil, fmt.Errorf("market.listings: side 应为 supply 或 demand")
			}
			return a.Market.ListingCount(ctx, pre, side, q.From, q.To)
		}},
	}
}

// marketSource adapts a market figure (many prefixes at once) to indicator.BatchSource; yuan turns 分 into 元.
type marketSource struct {
	key, name string
	yuan      bool
	f         func(ctx context.Context, q indicator.Query, prefixes []string) ([]int64, error)
}

func (m marketSource) Key() string  { return m.key }
func (m marketSource) Name() string { return m.name }

func (m marketSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := m.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (m marketSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	n, err := m.f(ctx, q, prefixes)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(n))
	for i, x := range n {
		out[i] = float64(x)
		if m.yuan {
			out[i] /= 100
		}
	}
	return out, nil
}

func (a *App) marketImporters() []imports.Importer {
	return []imports.Importer{market.ListingImporter{S: a.Market}}
}

// seedMarket seeds brands, buyers, listings, contracts and events of 巫山县: the demo member (a 脆李 cooperative)
// posts first, then the county's cooperatives and family farms; the buyers sit in the county seat.
func (a *App) seedMarket(ctx context.Context, tx *db.Tx, res demo.Result) error {
	if len(res.Townships) == 0 {
		return nil
	}
	var producers []int64
	var member int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(subject_id), 0) FROM users WHERE role = 'member' AND subject_id <> 0`).Scan(&member); err != nil {
		return fmt.Errorf("demo member: %w", err)
	}
	if member != 0 {
		producers = append(producers, member)
	}
	// interleave cooperatives and family farms so that every product gets both kinds
	coops, farms := res.Orgs["cooperative"], res.Orgs["family_farm"]
	for i := 0; i < max(len(coops), len(farms)); i++ {
		if i < len(coops) && coops[i] != member {
			producers = append(producers, coops[i])
		}
		if i < len(farms) {
			producers = append(producers, farms[i])
		}
	}
	seat := res.Townships[0]
	for _, t := range res.Townships {
		if strings.HasPrefix(a.Regions.Name(t), "高唐") || strings.Contains(a.Regions.Name(t), "高唐街道") {
			seat = t
		}
	}
	return a.Market.SeedDemo(ctx, tx, res.County, seat, producers)
}
