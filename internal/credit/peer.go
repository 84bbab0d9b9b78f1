package credit

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// 会员互评 (mutual evaluation): a member rates the trading partners it actually transacted with in the period (the
// PartnerSource decides), one rating per pair per period. The result for a subject drops the ratings of detected
// rings (a pair rating each other ≥ RingScore, or a triangle A→B→C→A all ≥ RingScore: mutual praise, not evidence),
// then trims the highest and the lowest rating when at least five remain, and averages the rest.

// RingScore is the score from which mutual high ratings are treated as a ring.
const RingScore = 95

// Periods are calendar years ("2025"): from 1 January to 1 January next year.
func periodRange(period string) (time.Time, time.Time, error) {
	y, err := strconv.Atoi(period)
	if err != nil || y < 2000 || y > 2100 {
		return time.Time{}, time.Time{}, apperr.FieldErrors(map[string]string{"period": "期间应为年份，如 2025"})
	}
	return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC), nil
}

// PeerInput is one rating.
type PeerInput struct {
	Period  string `json:"period" doc:"年份，如 2025"`
	RaterID int64  `json:"rater_id" doc:"评价人（会员本人可省略）"`
	RateeID int64  `json:"ratee_id" doc:"被评价的交易伙伴"`
	Score   int    `json:"score" doc:"0–100"`
	Comment string `json:"comment"`
}

// PeerReview is a stored rating.
type PeerReview struct {
	ID        int64     `json:"id"`
	Period    string    `json:"period"`
	RaterID   int64     `json:"rater_id"`
	RaterName string    `json:"rater_name"`
	RateeID   int64     `json:"ratee_id"`
	RateeName string    `json:"ratee_name"`
	Score     int       `json:"score"`
	Comment   string    `json:"comment"`
	Ring      bool      `json:"ring" doc:"属于互相高分的评价环，不计入结果"`
	CreatedAt time.Time `json:"created_at"`
}

// PeerResult is a subject's 会员互评 result for a period.
type PeerResult struct {
	Period  string  `json:"period"`
	Count   int     `json:"count" doc:"计入的评价数"`
	Ringed  int     `json:"ringed" doc:"因互评环剔除的评价数"`
	Trimmed int     `json:"trimmed" doc:"去掉最高最低分剔除的评价数"`
	Score   float64 `json:"score"`
}

// TradingPartners lists whom subject may rate in period (for the form).
func (s *Service) TradingPartners(ctx context.Context, p *auth.Principal, subjectID int64, period string) ([]int64, error) {
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if err := canActFor(p, sub.ID, sub.RegionCode); err != nil {
		return nil, err
	}
	from, to, err := periodRange(period)
	if err != nil {
		return nil, err
	}
	if s.Partners == nil {
		return []int64{}, nil
	}
	return s.Partners.Counterparties(ctx, subjectID, from, to)
}

// RatePartner records one rating: the rater (the member itself, or staff on its behalf) must have transacted with
// the ratee in the period, and rates it once.
func (s *Service) RatePartner(ctx context.Context, p *auth.Principal, in PeerInput) (*PeerReview, error) {
	if isSelf(p) && in.RaterID == 0 {
		in.RaterID = p.SubjectID
	}
	f := map[string]string{}
	from, to, perr := periodRange(in.Period)
	if perr != nil {
		f["period"] = "期间应为年份，如 2025"
	}
	if in.Score < 0 || in.Score > 100 {
		f["score"] = "评分应在 0–100 之间"
	}
	if in.RateeID == 0 || in.RateeID == in.RaterID {
		f["ratee_id"] = "请选择交易伙伴（不能评价自己）"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	rater, err := s.subject(ctx, in.RaterID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"rater_id": "评价人不存在"})
	}
	if err := canActFor(p, rater.ID, rater.RegionCode); err != nil {
		return nil, err
	}
	ratee, err := s.subject(ctx, in.RateeID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"ratee_id": "被评价主体不存在"})
	}
	if s.Partners == nil {
		return nil, apperr.New(apperr.Conflict, "交易记录来源尚未接入，暂不能互评")
	}
	partners, err := s.Partners.Counterparties(ctx, rater.ID, from, to)
	if err != nil {
		return nil, fmt.Errorf("partners: %w", err)
	}
	ok := false
	for _, id := range partners {
		ok = ok || id == ratee.ID
	}
	if !ok {
		return nil, apperr.FieldErrors(map[string]string{"ratee_id": "该期间与对方没有交易记录，不能评价"})
	}
	id := s.db.IDs.Next()
	now := s.now().UTC()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO peer_reviews (id, county_code, period, rater_id, ratee_id, ratee_region, score, comment, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, region.County(ratee.RegionCode)+"000000", in.Period, rater.ID, ratee.ID, ratee.RegionCode, in.Score, strings.TrimSpace(in.Comment), p.Username, now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "本期已评价过该交易伙伴，每期每对只能评价一次")
			}
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "peer_review", EntityID: id,
			Summary: fmt.Sprintf("%s 在 %s 年度互评中评价 %s：%d 分", rater.Name, in.Period, ratee.Name, in.Score), After: in})
	})
	if err != nil {
		return nil, err
	}
	return &PeerReview{ID: id, Period: in.Period, RaterID: rater.ID, RaterName: rater.Name, RateeID: ratee.ID, RateeName: ratee.Name, Score: in.Score, Comment: in.Comment, CreatedAt: now}, nil
}

type edge struct {
	from, to int64
	score    int
}

// rings returns the ratings (from→to) that belong to a reciprocal pair or a triangle of high ratings.
func rings(es []edge) map[[2]int64]bool {
	high := map[int64]map[int64]bool{}
	for _, e := range es {
		if e.score >= RingScore {
			if high[e.from] == nil {
				high[e.from] = map[int64]bool{}
			}
			high[e.from][e.to] = true
		}
	}
	out := map[[2]int64]bool{}
	for a, outs := range high {
		for b := range outs {
			if high[b][a] {
				out[[2]int64{a, b}] = true
			}
			for c := range high[b] {
				if c != a && high[c][a] {
					out[[2]int64{a, b}], out[[2]int64{b, c}], out[[2]int64{c, a}] = true, true, true
				}
			}
		}
	}
	return out
}

// PeerResultOf computes results from ratings: ring ratings dropped, then the highest and lowest trimmed when five
// or more remain.
func PeerResultOf(period string, es []edge) map[int64]PeerResult {
	ring := rings(es)
	by := map[int64][]int{}
	out := map[int64]PeerResult{}
	for _, e := range es {
		r := out[e.to]
		r.Period = period
		if ring[[2]int64{e.from, e.to}] {
			r.Ringed++
		} else {
			by[e.to] = append(by[e.to], e.score)
		}
		out[e.to] = r
	}
	for id, scores := range by {
		r := out[id]
		sort.Ints(scores)
		if len(scores) >= 5 {
			scores = scores[1 : len(scores)-1]
			r.Trimmed = 2
		}
		sum := 0
		for _, v := range scores {
			sum += v
		}
		r.Count = len(scores)
		if r.Count > 0 {
			r.Score = round2(float64(sum) / float64(r.Count))
		}
		out[id] = r
	}
	return out
}

// peerScores computes the results of every ratee in region prefix. Rings are looked for among all ratings of the
// county of the period (a ring can cross villages).
func (s *Service) peerScores(ctx context.Context, q db.Querier, prefix, period string) (map[int64]PeerResult, error) {
	county := region.County(prefix + "000000")
	cond, args := rangeCond("ratee_region", county)
	rows, err := q.QueryContext(ctx, `SELECT rater_id, ratee_id, score, ratee_region FROM peer_reviews WHERE period = ? AND `+cond, append([]any{period}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("peer reviews: %w", err)
	}
	defer rows.Close()
	var es []edge
	inPrefix := map[int64]bool{}
	for rows.Next() {
		var e edge
		var reg string
		if err := rows.Scan(&e.from, &e.to, &e.score, &reg); err != nil {
			return nil, err
		}
		es = append(es, e)
		if strings.HasPrefix(reg, auth.RegionPrefix(prefix)) {
			inPrefix[e.to] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	all := PeerResultOf(period, es)
	for id := range all {
		if !inPrefix[id] {
			delete(all, id)
		}
	}
	return all, nil
}

// PeerReviews lists the ratings a subject received and gave in a period, with its result (same access as the
// credit file).
func (s *Service) PeerReviews(ctx context.Context, p *auth.Principal, subjectID int64, period string) ([]PeerReview, PeerResult, error) {
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		return nil, PeerResult{}, err
	}
	if _, err := s.fileAccess(ctx, p, sub); err != nil {
		return nil, PeerResult{}, err
	}
	if _, _, err := periodRange(period); err != nil {
		return nil, PeerResult{}, err
	}
	res, err := s.peerScores(ctx, s.db, sub.RegionCode, period)
	if err != nil {
		return nil, PeerResult{}, err
	}
	county := region.County(sub.RegionCode)
	cond, args := rangeCond("ratee_region", county)
	rows, err := s.db.QueryContext(ctx, `SELECT id, period, rater_id, ratee_id, score, comment, created_at FROM peer_reviews WHERE period = ? AND `+cond,
		append([]any{period}, args...)...)
	if err != nil {
		return nil, PeerResult{}, err
	}
	defer rows.Close()
	var all []PeerReview
	var es []edge
	for rows.Next() {
		var r PeerReview
		if err := rows.Scan(&r.ID, &r.Period, &r.RaterID, &r.RateeID, &r.Score, &r.Comment, &r.CreatedAt); err != nil {
			return nil, PeerResult{}, err
		}
		all = append(all, r)
		es = append(es, edge{r.RaterID, r.RateeID, r.Score})
	}
	ring := rings(es)
	out := []PeerReview{}
	var ids []int64
	for _, r := range all {
		if r.RaterID == subjectID || r.RateeID == subjectID {
			r.Ring = ring[[2]int64{r.RaterID, r.RateeID}]
			out = append(out, r)
			ids = append(ids, r.RaterID, r.RateeID)
		}
	}
	names := s.names(ctx, ids...)
	for i := range out {
		if x := names[out[i].RaterID]; x != nil {
			out[i].RaterName = x.Name
		}
		if x := names[out[i].RateeID]; x != nil {
			out[i].RateeName = x.Name
		}
	}
	r := res[subjectID]
	r.Period = period
	return out, r, rows.Err()
}
