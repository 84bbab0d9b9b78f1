// Package supply is the 双向流通 room (issue 4, items 1–2): the three-level logistics network (county warehouse,
// 集采集配中心, cold store, township nodes, village points), 流通网点 and one-stop village service stations; the goods
// catalog of 农资 and daily necessities; and stock at every node as an append-only ledger of moves.
//
// Quantities are integers in the goods' smallest unit: every goods item has a display unit (袋, 千克, 瓶 …) and a
// number of decimals (0–3); a quantity q is stored as q × 10^decimals (化肥 in 千克 with 3 decimals is stored in
// grams, 种子 in 袋 with 0 decimals in bags). The API takes and returns these integers; the pages format and parse
// them with the goods' decimals. Money (later items) is in 分.
package supply

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Node kinds.
const (
	KindCountyWarehouse = "county_warehouse"
	KindPoolingCenter   = "pooling_center"
	KindColdStore       = "cold_store"
	KindTownshipNode    = "township_node"
	KindVillagePoint    = "village_point"
	KindOutlet          = "outlet"
	KindStation         = "station"
)

// NodeKinds lists the node kinds in display order.
var NodeKinds = []string{KindCountyWarehouse, KindPoolingCenter, KindColdStore, KindTownshipNode, KindVillagePoint, KindOutlet, KindStation}

// NodeKindLabel is a kind's Chinese name.
func NodeKindLabel(k string) string {
	switch k {
	case KindCountyWarehouse:
		return "县级仓储中心"
	case KindPoolingCenter:
		return "集采集配中心"
	case KindColdStore:
		return "冷链仓库"
	case KindTownshipNode:
		return "乡镇物流节点"
	case KindVillagePoint:
		return "村级物流点"
	case KindOutlet:
		return "流通网点"
	case KindStation:
		return "一站式村级服务站"
	}
	return k
}

// NodeLevel is the network level of a kind: county, township or village.
func NodeLevel(k string) string {
	switch k {
	case KindCountyWarehouse, KindPoolingCenter, KindColdStore:
		return "county"
	case KindTownshipNode:
		return "township"
	}
	return "village"
}

// Station functions (站点功能).
var StationFunctions = []string{"express", "inputs", "daily", "produce", "finance"}

// FunctionLabel is a station function's Chinese name.
func FunctionLabel(f string) string {
	switch f {
	case "express":
		return "快递收发"
	case "inputs":
		return "农资"
	case "daily":
		return "日用品"
	case "produce":
		return "农产品收购"
	case "finance":
		return "金融服务点"
	}
	return f
}

// Node statuses.
const (
	NodeActive   = "active"
	NodeBuilding = "building"
	NodeClosed   = "closed"
)

// NodeStatusLabel is a status's Chinese name.
func NodeStatusLabel(s string) string {
	switch s {
	case NodeActive:
		return "运营中"
	case NodeBuilding:
		return "建设中"
	case NodeClosed:
		return "已停用"
	}
	return s
}

// Node is a logistics node, outlet or station.
type Node struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	KindLabel     string    `json:"kind_label"`
	Name          string    `json:"name"`
	RegionCode    string    `json:"region_code"`
	RegionName    string    `json:"region_name"`
	TownshipCode  string    `json:"township_code"`
	OperatorID    int64     `json:"operator_id"`
	OperatorName  string    `json:"operator_name,omitempty"`
	Functions     []string  `json:"functions"`
	FunctionNames []string  `json:"function_labels"`
	Address       string    `json:"address"`
	Lng           float64   `json:"lng"`
	Lat           float64   `json:"lat"`
	Status        string    `json:"status"`
	StatusLabel   string    `json:"status_label"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Stock         []Stock   `json:"stock,omitempty"`
}

// NodeInput creates a node. Lng/Lat default to the region's coordinates.
type NodeInput struct {
	Kind       string   `json:"kind" doc:"county_warehouse, pooling_center, cold_store, township_node, village_point, outlet, station"`
	Name       string   `json:"name"`
	RegionCode string   `json:"region_code" doc:"12 位区划代码：县级节点可为县或乡镇，乡镇节点为乡镇，村级点、网点、服务站为村"`
	OperatorID int64    `json:"operator_id" doc:"运营主体（主体库编号），可空"`
	Functions  []string `json:"functions" doc:"服务站功能：express, inputs, daily, produce, finance"`
	Address    string   `json:"address"`
	Lng        *float64 `json:"lng"`
	Lat        *float64 `json:"lat"`
	Status     string   `json:"status" doc:"active（默认）, building, closed"`
	Note       string   `json:"note"`
}

// Goods categories.
var (
	InputCategories = []string{"seed", "fertilizer", "pesticide", "film", "other_input"}
	DailyCategories = []string{"rice", "flour", "grain", "oil", "meat", "other_daily"}
)

// CategoryLabel is a category's Chinese name.
func CategoryLabel(c string) string {
	switch c {
	case "seed":
		return "种子"
	case "fertilizer":
		return "化肥"
	case "pesticide":
		return "农药"
	case "film":
		return "农膜"
	case "other_input":
		return "其他农资"
	case "rice":
		return "米"
	case "flour":
		return "面"
	case "grain":
		return "粮"
	case "oil":
		return "油"
	case "meat":
		return "肉"
	case "other_daily":
		return "其他日用品"
	}
	return c
}

// CategoryGroup is "inputs" (农资) or "daily" (日用品).
func CategoryGroup(c string) string {
	for _, x := range InputCategories {
		if x == c {
			return "inputs"
		}
	}
	return "daily"
}

func validCategory(c string) bool {
	for _, x := range append(append([]string{}, InputCategories...), DailyCategories...) {
		if x == c {
			return true
		}
	}
	return false
}

// Goods is a catalog item.
type Goods struct {
	ID            int64     `json:"id"`
	Category      string    `json:"category"`
	CategoryLabel string    `json:"category_label"`
	Group         string    `json:"group" doc:"inputs（农资）或 daily（日用品）"`
	Name          string    `json:"name"`
	Spec          string    `json:"spec"`
	Unit          string    `json:"unit"`
	Decimals      int       `json:"decimals" doc:"数量的小数位数：数量以 单位×10^decimals 的整数表示"`
	RegNo         string    `json:"reg_no" doc:"登记证号（农药、种子、肥料适用）"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	UnitWeightG   int64     `json:"unit_weight_g" doc:"每个计量单位的重量（克），用于配送装载"`
	UnitVolumeML  int64     `json:"unit_volume_ml" doc:"每个计量单位的体积（毫升），用于配送装载"`
}

// GoodsInput creates a catalog item.
type GoodsInput struct {
	Category string `json:"category" doc:"seed, fertilizer, pesticide, film, other_input, rice, flour, grain, oil, meat, other_daily"`
	Name     string `json:"name"`
	Spec     string `json:"spec"`
	Unit     string `json:"unit"`
	Decimals int    `json:"decimals"`
	RegNo    string `json:"reg_no"`
	// UnitWeightG and UnitVolumeML are one display unit's weight (g) and volume (ml), for loading vehicles.
	UnitWeightG  int64 `json:"unit_weight_g"`
	UnitVolumeML int64 `json:"unit_volume_ml"`
}

// Move kinds.
const (
	MoveReceipt     = "receipt"
	MoveIssue       = "issue"
	MoveLoss        = "loss"
	MoveStocktake   = "stocktake"
	MoveTransferOut = "transfer_out"
	MoveTransferIn  = "transfer_in"
	MoveReversal    = "reversal"
)

// MoveKindLabel is a move kind's Chinese name.
func MoveKindLabel(k string) string {
	switch k {
	case MoveReceipt:
		return "入库"
	case MoveIssue:
		return "销售/发放"
	case MoveLoss:
		return "损耗"
	case MoveStocktake:
		return "盘点调整"
	case MoveTransferOut, "transfer":
		return "调拨出库"
	case MoveTransferIn:
		return "调拨入库"
	case MoveReversal:
		return "冲销"
	}
	return k
}

// Move is one ledger line: a signed quantity of one goods item at one node.
type Move struct {
	ID          int64     `json:"id"`
	NodeID      int64     `json:"node_id"`
	NodeName    string    `json:"node_name"`
	GoodsID     int64     `json:"goods_id"`
	GoodsName   string    `json:"goods_name"`
	Unit        string    `json:"unit"`
	Decimals    int       `json:"decimals"`
	Kind        string    `json:"kind"`
	KindLabel   string    `json:"kind_label"`
	Qty         int64     `json:"qty" doc:"带符号的数量（最小单位整数）：入为正，出为负"`
	OtherNodeID int64     `json:"other_node_id,omitempty"`
	TransferID  int64     `json:"transfer_id,omitempty"`
	ReversesID  int64     `json:"reverses_id,omitempty"`
	Counted     *int64    `json:"counted,omitempty" doc:"盘点实数（仅盘点调整）"`
	MovedOn     string    `json:"moved_on"`
	Ref         string    `json:"ref"`
	Note        string    `json:"note"`
	ActorName   string    `json:"actor_name"`
	CreatedAt   time.Time `json:"created_at"`
}

// MoveInput records a move. Qty is positive (for stocktake: the counted figure, ≥ 0).
type MoveInput struct {
	Kind     string `json:"kind" doc:"receipt, issue, loss, stocktake, transfer"`
	NodeID   int64  `json:"node_id"`
	GoodsID  int64  `json:"goods_id"`
	Qty      int64  `json:"qty" doc:"正整数，最小单位；盘点时为实盘数（可为 0）"`
	ToNodeID int64  `json:"to_node_id,omitempty" doc:"调拨的调入节点"`
	Date     string `json:"date" doc:"YYYY-MM-DD，默认今天"`
	Ref      string `json:"ref"`
	Note     string `json:"note"`
}

// Stock is the on-hand quantity of one goods item at one node.
type Stock struct {
	NodeID    int64  `json:"node_id"`
	NodeName  string `json:"node_name"`
	GoodsID   int64  `json:"goods_id"`
	GoodsName string `json:"goods_name"`
	Spec      string `json:"spec"`
	Unit      string `json:"unit"`
	Decimals  int    `json:"decimals"`
	OnHand    int64  `json:"on_hand"`
	Display   string `json:"on_hand_display"`
}

// Count is the number of nodes of one kind in one township (or at county level).
type Count struct {
	Kind         string `json:"kind"`
	KindLabel    string `json:"kind_label"`
	TownshipCode string `json:"township_code"`
	TownshipName string `json:"township_name"`
	Active       int    `json:"active"`
	Total        int    `json:"total"`
}

// FormatQty writes q (smallest units) with the goods' decimals: 12500 with 3 decimals → "12.5".
func FormatQty(q int64, decimals int) string {
	neg := q < 0
	if neg {
		q = -q
	}
	s := strconv.FormatInt(q, 10)
	if decimals > 0 {
		for len(s) <= decimals {
			s = "0" + s
		}
		s = s[:len(s)-decimals] + "." + s[len(s)-decimals:]
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseQty reads a decimal quantity into smallest units; more decimals than the goods allow are refused.
func ParseQty(s string, decimals int) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '．':
			return '.'
		}
		return r
	}, s)
	if s == "" {
		return 0, fmt.Errorf("请填写数量")
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > decimals {
		if decimals == 0 {
			return 0, fmt.Errorf("数量须为整数")
		}
		return 0, fmt.Errorf("数量最多 %d 位小数", decimals)
	}
	for len(frac) < decimals {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || v < 0 || (whole == "" && frac == "") {
		return 0, fmt.Errorf("数量格式不正确")
	}
	return v, nil
}
