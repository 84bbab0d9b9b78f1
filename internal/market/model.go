package market

import (
	"time"
)

// Sides of a listing.
const (
	SideSupply = "supply" // 供应：会员的农产品
	SideDemand = "demand" // 求购：采购商的需求
)

// Listing statuses.
const (
	ListingOpen    = "open"    // 挂牌中
	ListingMatched = "matched" // 已签约（全部数量已成交）
	ListingClosed  = "closed"  // 已下架
)

// ListingStatuses in display order.
var ListingStatuses = []string{ListingOpen, ListingMatched, ListingClosed}

// ListingStatusLabel is the Chinese label of a listing status.
func ListingStatusLabel(s string) string {
	return map[string]string{ListingOpen: "挂牌中", ListingMatched: "已成交", ListingClosed: "已下架"}[s]
}

// SideLabel is the Chinese label of a side.
func SideLabel(s string) string {
	return map[string]string{SideSupply: "供应", SideDemand: "求购"}[s]
}

// Channels of buyers (采购商类型).
var Channels = []Option{
	{"supermarket", "商超"}, {"wholesaler", "批发商"}, {"ecommerce", "电商平台"}, {"canteen", "机关食堂/团餐"}, {"processor", "加工企业"}, {"other", "其他"},
}

// Units a listing may be counted in; mass units convert to kilograms for matching, count units match only themselves.
var Units = []Option{{"公斤", "公斤"}, {"斤", "斤"}, {"吨", "吨"}, {"箱", "箱"}, {"枚", "枚"}, {"头", "头"}, {"只", "只"}}

// Grades in order from best; "" means 不限 (any grade) on a demand listing.
var Grades = []string{"特级", "一级", "二级", "统货"}

// Option is a value with its Chinese label.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

func labelOf(opts []Option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

// ChannelLabel is the Chinese label of a buyer channel.
func ChannelLabel(c string) string { return labelOf(Channels, c) }

// Buyer is a subject registered as a buyer of produce (采购商).
type Buyer struct {
	SubjectID    int64     `json:"subject_id"`
	Name         string    `json:"name"`
	KindLabel    string    `json:"kind_label"`
	RegionCode   string    `json:"region_code"`
	RegionName   string    `json:"region_name"`
	Channel      string    `json:"channel" doc:"supermarket 商超、wholesaler 批发商、ecommerce 电商平台、canteen 机关食堂/团餐、processor 加工企业、other 其他"`
	ChannelLabel string    `json:"channel_label"`
	Note         string    `json:"note"`
	OpenDemands  int       `json:"open_demands"`
	CreatedAt    time.Time `json:"created_at"`
}

// BuyerInput registers a subject of the register as a buyer.
type BuyerInput struct {
	SubjectID int64  `json:"subject_id"`
	Channel   string `json:"channel"`
	Note      string `json:"note"`
}

// Listing is a supply or demand listing (供应 / 求购信息).
type Listing struct {
	ID          int64     `json:"id"`
	Side        string    `json:"side" doc:"supply 供应 / demand 求购"`
	SideLabel   string    `json:"side_label"`
	SubjectID   int64     `json:"subject_id"`
	SubjectName string    `json:"subject_name"`
	Channel     string    `json:"channel,omitempty" doc:"求购方的采购商类型"`
	ChannelName string    `json:"channel_label,omitempty"`
	RegionCode  string    `json:"region_code" doc:"产地或收货地（村或乡镇）"`
	RegionName  string    `json:"region_name"`
	Lng         float64   `json:"lng"`
	Lat         float64   `json:"lat"`
	Product     string    `json:"product"`
	Grade       string    `json:"grade" doc:"特级、一级、二级、统货；求购可留空（不限）"`
	Quantity    int64     `json:"quantity"`
	Unit        string    `json:"unit"`
	PriceFen    int64     `json:"price_fen" doc:"单价（分/单位）；0 为面议"`
	DateFrom    string    `json:"date_from" doc:"上市（供应）或收货（求购）窗口起 YYYY-MM-DD"`
	DateTo      string    `json:"date_to" doc:"窗口止 YYYY-MM-DD"`
	BrandID     int64     `json:"brand_id"`
	BrandName   string    `json:"brand_name"`
	Note        string    `json:"note"`
	Status      string    `json:"status" doc:"open 挂牌中、matched 已成交、closed 已下架"`
	StatusLabel string    `json:"status_label"`
	OnBehalf    bool      `json:"on_behalf" doc:"工作人员代为发布（代办）"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ListingInput creates or replaces a listing.
type ListingInput struct {
	Side       string  `json:"side"`
	SubjectID  int64   `json:"subject_id" doc:"会员本人发布时可省略；工作人员代发时必填"`
	RegionCode string  `json:"region_code" doc:"省略时取主体所在区划"`
	Lng        float64 `json:"lng"`
	Lat        float64 `json:"lat"`
	Product    string  `json:"product"`
	Grade      string  `json:"grade"`
	Quantity   int64   `json:"quantity"`
	Unit       string  `json:"unit"`
	PriceFen   int64   `json:"price_fen"`
	DateFrom   string  `json:"date_from"`
	DateTo     string  `json:"date_to"`
	BrandID    int64   `json:"brand_id"`
	Note       string  `json:"note"`
	Status     string  `json:"status" doc:"修改时可设为 closed 下架或 open 重新挂牌"`
}

// ListingFilter selects listings.
type ListingFilter struct {
	Side, Status, Product, Grade, Region, Q string
	SubjectID, BrandID                      int64
	Page, PerPage                           int
}

// Candidate is a ranked counterpart of a listing.
type Candidate struct {
	Listing Listing `json:"listing"`
	Match   Match   `json:"match"`
}

// Contract statuses.
const (
	ContractDraft     = "draft"     // 待签
	ContractSigned    = "signed"    // 履约中
	ContractFulfilled = "fulfilled" // 已履约（已交付、验收并付清）
	ContractCancelled = "cancelled" // 已作废（签订前）
)

// ContractStatusLabel is the Chinese label of a contract status.
func ContractStatusLabel(s string) string {
	return map[string]string{ContractDraft: "待签订", ContractSigned: "履约中", ContractFulfilled: "已履约", ContractCancelled: "已作废"}[s]
}

// Fulfilment kinds.
const (
	FulfilDelivered = "delivered" // 交付
	FulfilAccepted  = "accepted"  // 验收
	FulfilPaid      = "paid"      // 付款
)

// FulfilLabel is the Chinese label of a fulfilment kind.
func FulfilLabel(k string) string {
	return map[string]string{FulfilDelivered: "交付", FulfilAccepted: "验收", FulfilPaid: "付款"}[k]
}

// Instalment is one delivery of a contract's schedule (交货计划).
type Instalment struct {
	Seq       int    `json:"seq"`
	DueDate   string `json:"due_date" doc:"YYYY-MM-DD"`
	Quantity  int64  `json:"quantity"`
	AmountFen int64  `json:"amount_fen"`
	Delivered int64  `json:"delivered" doc:"在到期日（含）前累计交付量计入本期后的已交付量"`
	OnTime    bool   `json:"on_time"`
}

// Supplement is an amendment of a signed contract (补充协议); the contract's terms never change after signing.
type Supplement struct {
	ID             int64     `json:"id"`
	Seq            int       `json:"seq"`
	QuantityDelta  int64     `json:"quantity_delta"`
	AmountDeltaFen int64     `json:"amount_delta_fen"`
	Text           string    `json:"text"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Fulfilment is a delivery, acceptance or payment record.
type Fulfilment struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind" doc:"delivered 交付、accepted 验收、paid 付款"`
	KindLabel string    `json:"kind_label"`
	OnDate    string    `json:"on_date"`
	Quantity  int64     `json:"quantity"`
	AmountFen int64     `json:"amount_fen"`
	Note      string    `json:"note"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// OrderContract is an order contract (订单农业合同).
type OrderContract struct {
	ID             int64        `json:"id"`
	No             string       `json:"no" doc:"合同编号"`
	SupplyID       int64        `json:"supply_id"`
	DemandID       int64        `json:"demand_id"`
	SellerID       int64        `json:"seller_id"`
	SellerName     string       `json:"seller_name"`
	SellerRegion   string       `json:"seller_region"`
	BuyerID        int64        `json:"buyer_id"`
	BuyerName      string       `json:"buyer_name"`
	BuyerRegion    string       `json:"buyer_region"`
	Product        string       `json:"product"`
	Grade          string       `json:"grade"`
	Quantity       int64        `json:"quantity" doc:"签订数量（补充协议前）"`
	Unit           string       `json:"unit"`
	PriceFen       int64        `json:"price_fen"`
	AmountFen      int64        `json:"amount_fen" doc:"签订金额（分）"`
	QualityTerms   string       `json:"quality_terms"`
	MatchScore     int          `json:"match_score"`
	Status         string       `json:"status" doc:"draft 待签订、signed 履约中、fulfilled 已履约、cancelled 已作废"`
	StatusLabel    string       `json:"status_label"`
	SellerSignedAt *time.Time   `json:"seller_signed_at"`
	SellerSignedBy string       `json:"seller_signed_by"`
	BuyerSignedAt  *time.Time   `json:"buyer_signed_at"`
	BuyerSignedBy  string       `json:"buyer_signed_by"`
	SignedAt       *time.Time   `json:"signed_at"`
	CreatedBy      string       `json:"created_by"`
	CreatedAt      time.Time    `json:"created_at"`
	Schedule       []Instalment `json:"schedule"`
	Supplements    []Supplement `json:"supplements"`
	Fulfilments    []Fulfilment `json:"fulfilments"`
	// Derived figures.
	EffQuantity   int64 `json:"effective_quantity" doc:"含补充协议的数量"`
	EffAmountFen  int64 `json:"effective_amount_fen" doc:"含补充协议的金额（分）"`
	DeliveredQty  int64 `json:"delivered_quantity"`
	AcceptedQty   int64 `json:"accepted_quantity"`
	PaidFen       int64 `json:"paid_fen"`
	ReceivableFen int64 `json:"receivable_fen" doc:"应收未收（分）= 含补充协议金额 − 已付"`
	OnTimeDue     int   `json:"on_time_due" doc:"已到期的交货期数"`
	OnTimeMet     int   `json:"on_time_met" doc:"其中按期交足的期数"`
}

// ContractInput drafts a contract, usually from a match (supply + demand listing).
type ContractInput struct {
	SupplyID     int64            `json:"supply_id"`
	DemandID     int64            `json:"demand_id"`
	Quantity     int64            `json:"quantity"`
	PriceFen     int64            `json:"price_fen" doc:"单价（分/单位）"`
	QualityTerms string           `json:"quality_terms"`
	Schedule     []InstalmentSpec `json:"schedule" doc:"交货计划；省略时在供应窗口末一次交货"`
}

// InstalmentSpec is one line of a schedule.
type InstalmentSpec struct {
	DueDate  string `json:"due_date"`
	Quantity int64  `json:"quantity"`
}

// SupplementInput amends a signed contract.
type SupplementInput struct {
	QuantityDelta  int64  `json:"quantity_delta"`
	AmountDeltaFen int64  `json:"amount_delta_fen"`
	Text           string `json:"text"`
}

// FulfilmentInput records a delivery, an acceptance or a payment.
type FulfilmentInput struct {
	Kind      string `json:"kind"`
	OnDate    string `json:"on_date"`
	Quantity  int64  `json:"quantity"`
	AmountFen int64  `json:"amount_fen"`
	Note      string `json:"note"`
}

// SignInput signs one side of a contract.
type SignInput struct {
	Side string `json:"side" doc:"seller 卖方 / buyer 买方"`
}

// ContractFilter selects contracts.
type ContractFilter struct {
	Status, Q     string
	SubjectID     int64
	Page, PerPage int
}

// PledgeableContract is what the credit room reads to take a contract or its receivable as a pledge (质押).
type PledgeableContract struct {
	ID            int64
	No            string
	SellerID      int64
	BuyerName     string
	Product       string
	AmountFen     int64
	ReceivableFen int64
	Status        string
	Signed        bool
}

// Fact is one indicator of a subject's history for its credit file (信用档案).
type Fact struct {
	Key    string
	Name   string
	Value  string
	Number float64
	AsOf   time.Time
	Source string
}
