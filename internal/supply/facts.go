package supply

import (
	"context"
	"fmt"
	"time"
)

// Fact is one indicator of a subject's history for its credit file (信用档案), per CONTRACTS.md.
type Fact struct {
	Key    string
	Name   string
	Value  string
	Number float64
	AsOf   time.Time
	Source string
}

const factSource = "双向流通模块"

// SubjectFacts lists what the supply room knows of a subject: the pooled purchases it took part in (rounds,
// amount at the pooled price, share handed over), and the outlets and stations it operates. Called by the
// platform for the credit room after its consent check; no principal.
func (s *Service) SubjectFacts(ctx context.Context, subjectID int64) ([]Fact, error) {
	now := s.now().UTC()
	var rounds int
	var demanded, handed int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT pool_id), COALESCE(SUM(qty), 0), COALESCE(SUM(handed), 0) FROM supply_pool_demands WHERE subject_id = ?`,
		subjectID).Scan(&rounds, &demanded, &handed); err != nil {
		return nil, fmt.Errorf("subject facts: %w", err)
	}
	var facts []Fact
	if rounds > 0 {
		rows, err := s.db.QueryContext(ctx, `SELECT d.handed, COALESCE(l.unit_price_fen, i.list_price_fen), g.decimals FROM supply_pool_demands d
			JOIN supply_pool_items i ON i.id = d.item_id JOIN supply_goods g ON g.id = i.goods_id LEFT JOIN supply_pool_order_lines l ON l.item_id = d.item_id
			WHERE d.subject_id = ?`, subjectID)
		if err != nil {
			return nil, fmt.Errorf("subject facts: %w", err)
		}
		var amount int64
		for rows.Next() {
			var q, price int64
			var dec int
			if err := rows.Scan(&q, &price, &dec); err != nil {
				rows.Close()
				return nil, err
			}
			amount += Amount(q, price, dec)
		}
		rows.Close()
		facts = append(facts,
			Fact{Key: "supply.pool_rounds", Name: "参与集采集配批次", Value: fmt.Sprintf("%d 批", rounds), Number: float64(rounds), AsOf: now, Source: factSource},
			Fact{Key: "supply.pool_amount_yuan", Name: "集采已交付金额", Value: yuan(amount) + " 元", Number: float64(amount) / 100, AsOf: now, Source: factSource})
		if demanded > 0 {
			pct := float64(handed*1000/demanded) / 10
			facts = append(facts, Fact{Key: "supply.pool_taken_pct", Name: "集采需求已提货比例", Value: fmt.Sprintf("%.1f%%", pct), Number: pct, AsOf: now, Source: factSource})
		}
	}
	var nodes int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_nodes WHERE operator_id = ? AND status = ?`, subjectID, NodeActive).Scan(&nodes); err != nil {
		return nil, fmt.Errorf("subject facts: %w", err)
	}
	if nodes > 0 {
		facts = append(facts, Fact{Key: "supply.operated_nodes", Name: "运营中的流通网点/服务站", Value: fmt.Sprintf("%d 个", nodes), Number: float64(nodes), AsOf: now, Source: factSource})
	}
	return facts, nil
}

// Counterparties lists the subjects this subject transacted with in [from, to) through the supply room: a member
// and the operator of the pickup node that handed its pooled goods over (both directions).
func (s *Service) Counterparties(ctx context.Context, subjectID int64, from, to time.Time) ([]int64, error) {
	f, t := dayOf(from), dayOf(to)
	if to.IsZero() {
		t = "9999-12-31"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT n.operator_id FROM supply_pool_demands d JOIN supply_nodes n ON n.id = d.node_id
		WHERE d.subject_id = ? AND d.handed > 0 AND n.operator_id <> 0 AND n.operator_id <> ? AND d.handed_on >= ? AND d.handed_on < ?
		UNION SELECT DISTINCT d.subject_id FROM supply_pool_demands d JOIN supply_nodes n ON n.id = d.node_id
		WHERE n.operator_id = ? AND d.handed > 0 AND d.subject_id <> ? AND d.handed_on >= ? AND d.handed_on < ?`,
		subjectID, subjectID, f, t, subjectID, subjectID, f, t)
	if err != nil {
		return nil, fmt.Errorf("counterparties: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
