package credit

import (
	"context"
	"time"
)

// Other rooms feed the credit file through these interfaces (CONTRACTS.md); the app wires adapters onto the
// service, supply and market rooms. The platform calls them on the credit room's behalf after the credit room has
// checked who may read the file, so they take no principal.

// Fact is one indicator of a subject's history for its credit file (信用档案).
type Fact struct {
	Key    string    `json:"key" doc:"稳定键，如 service.orders_done"`
	Name   string    `json:"name"`
	Value  string    `json:"value" doc:"显示值，如 12 单 / 356.0 亩"`
	Number float64   `json:"number" doc:"评分卡分箱所用数值"`
	AsOf   time.Time `json:"as_of"`
	Source string    `json:"source" doc:"来源模块中文名"`
}

// FactSource gives a subject's facts (service orders, pooled purchases, contract performance …).
type FactSource interface {
	SubjectFacts(ctx context.Context, subjectID int64) ([]Fact, error)
}

// PartnerSource lists the subjects a subject actually transacted with in [from, to): the only pairs allowed to rate
// each other in 会员互评.
type PartnerSource interface {
	Counterparties(ctx context.Context, subjectID int64, from, to time.Time) ([]int64, error)
}

// PledgeableContract is a signed order contract or receivable of the circulation (market) room.
type PledgeableContract struct {
	ID            int64  `json:"id"`
	No            string `json:"no"`
	SellerID      int64  `json:"seller_id"`
	BuyerName     string `json:"buyer_name"`
	Product       string `json:"product"`
	AmountFen     int64  `json:"amount_fen"`
	ReceivableFen int64  `json:"receivable_fen"`
	Status        string `json:"status"`
	Signed        bool   `json:"signed"`
}

// ContractSource reads a contract that may be pledged (质押) to a loan; the credit room keeps the pledge records.
type ContractSource interface {
	PledgeableContract(ctx context.Context, id int64) (PledgeableContract, error)
}
