package supply_test

import (
	"context"
	"testing"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/solve/vrp"
	"nongfu/internal/supply"
)

// TestRoutes plans a day's deliveries and return pickups from a county node with two small vans, checks the
// plan against the solver's independent verifier (capacity at every point), and records the stops.
func TestRoutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		hub := e.node(supply.KindCountyWarehouse, "县仓", county)
		fert, err := e.svc.CreateGoods(ctx, e.Admin, supply.GoodsInput{Category: "fertilizer", Name: "复合肥", Unit: "袋", UnitWeightG: 50000})
		if err != nil {
			t.Fatal(err)
		}
		e.move(e.Admin, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: hub.ID, GoodsID: fert.ID, Qty: 100})
		var stops []*supply.Node
		for i := range 6 {
			stops = append(stops, e.node(supply.KindStation, "站"+string(rune('A'+i)), e.Village(i%len(e.Towns)), "express"))
		}
		day := today()
		for i, n := range stops {
			// 8 bags = 400 kg each; a van takes 1,000 kg: at least 3 routes for 2,400 kg
			if _, err := e.svc.CreateShipment(ctx, e.Admin, supply.ShipmentInput{Kind: "delivery", FromNodeID: hub.ID, ToNodeID: n.ID, ShipOn: day, GoodsID: fert.ID, Qty: 8}); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := e.svc.CreateShipment(ctx, e.Admin, supply.ShipmentInput{Kind: "pickup", FromNodeID: hub.ID, ToNodeID: n.ID, ShipOn: day, WeightKg: 300, Description: "脆李"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := e.svc.CreateShipment(ctx, e.Admin, supply.ShipmentInput{Kind: "x", FromNodeID: hub.ID, ToNodeID: hub.ID, Due: "25:00"}); len(apperr.FieldsOf(err)) < 4 {
			t.Errorf("bad shipment: %v", err)
		}
		if _, err := e.svc.PlanRoutes(ctx, e.Admin, supply.PlanInput{NodeID: hub.ID, Date: day, Vehicles: 0, CapacityKg: 0}); len(apperr.FieldsOf(err)) != 2 {
			t.Errorf("bad plan: %v", err)
		}
		if _, err := e.svc.PlanRoutes(ctx, e.op, supply.PlanInput{NodeID: hub.ID, Date: day, Vehicles: 3, CapacityKg: 1000}); err == nil {
			t.Errorf("operator plans the county's routes")
		}
		// too few vans: the plan fails and the shipments go back to planned
		pl, err := e.svc.PlanRoutes(ctx, e.Admin, supply.PlanInput{NodeID: hub.ID, Date: day, Vehicles: 1, CapacityKg: 1000, Seconds: 1})
		if err == nil && pl.Status != "failed" {
			t.Errorf("one van for 2,400 kg: %+v", pl)
		}
		pl, err = e.svc.PlanRoutes(ctx, e.Admin, supply.PlanInput{NodeID: hub.ID, Date: day, Vehicles: 4, CapacityKg: 1000, Drivers: []string{"老王", "小李"}, Seconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if pl.Status != "ready" || len(pl.Routes) < 3 {
			t.Fatalf("plan %+v", pl)
		}
		if pl.Routes[0].Driver != "老王" {
			t.Errorf("driver %q", pl.Routes[0].Driver)
		}
		// verify load at every point with the solver's own checker
		prob := vrp.Problem{Capacity: 1_000_000, Nodes: []vrp.Node{{}}}
		var routes [][]int
		seen := map[int64]bool{}
		for _, r := range pl.Routes {
			var idx []int
			for _, st := range r.Stops {
				if seen[st.NodeID] {
					t.Errorf("stop %d visited twice", st.NodeID)
				}
				seen[st.NodeID] = true
				prob.Nodes = append(prob.Nodes, vrp.Node{X: float64(len(prob.Nodes)), Demand: st.DeliverG, Pickup: st.PickupG})
				idx = append(idx, len(prob.Nodes)-1)
			}
			routes = append(routes, idx)
		}
		if len(seen) != 6 {
			t.Errorf("%d stops visited", len(seen))
		}
		if _, err := vrp.Verify(&prob, routes); err != nil {
			t.Errorf("plan violates capacity: %v", err)
		}
		// record: first stop done (goods move), second failed (back to planned)
		r1 := pl.Routes[0]
		if _, err := e.svc.RecordStop(ctx, e.Admin, pl.ID, 1, 1, supply.StopInput{Status: "done"}); err != nil {
			t.Fatal(err)
		}
		if v := e.onHand(&supply.Node{ID: r1.Stops[0].NodeID}, fert); v != 8 {
			t.Errorf("delivered stop holds %d", v)
		}
		if _, err := e.svc.RecordStop(ctx, e.Admin, pl.ID, 1, 1, supply.StopInput{Status: "done"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("recorded twice: %v", err)
		}
		if len(r1.Stops) > 1 {
			if _, err := e.svc.RecordStop(ctx, e.Admin, pl.ID, 1, 2, supply.StopInput{Status: "failed", Note: "道路塌方"}); err != nil {
				t.Fatal(err)
			}
			ships, _ := e.svc.Shipments(ctx, e.Admin, hub.ID, day)
			var back int
			for _, sh := range ships {
				if sh.Status == "planned" {
					back++
				}
			}
			if back == 0 {
				t.Errorf("failed stop's shipments not back to planned")
			}
		}
		if v := e.onHand(hub, fert); v != 92 {
			t.Errorf("hub holds %d", v)
		}
	})
}
