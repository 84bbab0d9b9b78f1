package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/credit"
	"nongfu/internal/market"
	"nongfu/internal/platform/auth"
	"nongfu/internal/reform"
	"nongfu/internal/service"
	"nongfu/internal/supervision"
	"nongfu/internal/supply"
)

// linkRooms connects rooms that read each other through Go APIs, once every room exists: the credit file reads the
// history a subject built in the service, supply and market rooms, 会员互评 pairs come from their transactions,
// and order contracts from the market room can be pledged to loans.
func (a *App) linkRooms() {
	a.Credit.Facts = append(a.Credit.Facts,
		factsOf(a.Services.SubjectFacts, func(f service.Fact) credit.Fact { return credit.Fact(f) }),
		factsOf(a.Supply.SubjectFacts, func(f supply.Fact) credit.Fact { return credit.Fact(f) }),
		factsOf(a.Market.SubjectFacts, func(f market.Fact) credit.Fact { return credit.Fact(f) }),
	)
	a.Credit.Partners = partners{a.Services, a.Supply, a.Market}
	a.Credit.Contracts = contracts{a.Market}
	a.Plan.Tasks = taskStatus{a.Supervision}
}

// taskStatus counts the plan's tasks by computed status for the dashboard. The tasks are the county's (附件2), so
// a township's dashboard shows none; a role that may not read the supervision room sees none instead of an error.
type taskStatus struct{ s *supervision.Service }

func (t taskStatus) TaskStatusCounts(ctx context.Context, p *auth.Principal, regionCode string) ([]reform.TaskStatus, error) {
	if len(strings.TrimRight(regionCode, "0")) > 6 {
		return nil, nil
	}
	tasks, err := t.s.Tasks(ctx, p, supervision.TaskFilter{})
	if err != nil {
		if apperr.Is(err, apperr.Forbidden) {
			return nil, nil
		}
		return nil, err
	}
	order := []string{"not_started", "ongoing", "lagging", "done"}
	by := map[string]*reform.TaskStatus{}
	for _, x := range tasks {
		st := by[x.Status.Code]
		if st == nil {
			st = &reform.TaskStatus{Status: x.Status.Code, Label: "重点任务" + x.Status.Label}
			by[x.Status.Code] = st
			if !slices.Contains(order, x.Status.Code) {
				order = append(order, x.Status.Code)
			}
		}
		st.Count++
	}
	var out []reform.TaskStatus
	for _, code := range order {
		if st := by[code]; st != nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

// roomFacts adapts one room's facts to the credit room's type (the shapes are the same by contract).
type roomFacts[F any] struct {
	facts func(context.Context, int64) ([]F, error)
	conv  func(F) credit.Fact
}

func factsOf[F any](facts func(context.Context, int64) ([]F, error), conv func(F) credit.Fact) credit.FactSource {
	return roomFacts[F]{facts: facts, conv: conv}
}

func (r roomFacts[F]) SubjectFacts(ctx context.Context, subjectID int64) ([]credit.Fact, error) {
	in, err := r.facts(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	out := make([]credit.Fact, len(in))
	for i, f := range in {
		out[i] = r.conv(f)
	}
	return out, nil
}

// partners is the union of the rooms' counterparties, each subject once.
type partners []credit.PartnerSource

func (ps partners) Counterparties(ctx context.Context, subjectID int64, from, to time.Time) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	for _, p := range ps {
		ids, err := p.Counterparties(ctx, subjectID, from, to)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !seen[id] && id != subjectID {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// contracts reads pledgeable order contracts from the market room.
type contracts struct{ m *market.Service }

func (c contracts) PledgeableContract(ctx context.Context, id int64) (credit.PledgeableContract, error) {
	x, err := c.m.PledgeableContract(ctx, id)
	if err != nil {
		return credit.PledgeableContract{}, err
	}
	return credit.PledgeableContract(x), nil
}
