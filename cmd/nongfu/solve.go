package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"nongfu/internal/solve/vrp"
)

const solveUsage = `用法：nongfu solve cvrp|vrptw 算例文件 [--time-limit 10s] [--seed 1] [--workers 1]
      nongfu solve dispatch 算例.json [--time-limit 5s] [--seed 1]（农机调度，输出 JSON 方案）
  cvrp   TSPLIB/CVRPLIB 格式（.vrp），输出客户编号为节点编号减一（车场为 0）
  vrptw  Solomon 文本格式，输出客户编号与文件一致
输出 CVRPLIB 风格的解：每条路线一行 "Route #k: …"，最后一行 "Cost N"。`

// cmdSolve solves a routing instance file and prints a CVRPLIB-style solution on stdout.
func cmdSolve(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "dispatch" {
		return cmdSolveDispatch(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			return errors.New("缺少问题类型\n" + solveUsage)
		}
		fmt.Fprintln(env.Stdout, solveUsage)
		return nil
	}
	kind := args[0]
	if kind != "cvrp" && kind != "vrptw" {
		return fmt.Errorf("未知的问题类型 %q（应为 cvrp 或 vrptw）\n%s", kind, solveUsage)
	}
	fs := flag.NewFlagSet("solve "+kind, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	limit := fs.Duration("time-limit", 10*time.Second, "求解时间上限（Go 时长格式，如 10s、1m）")
	seed := fs.Uint64("seed", 1, "随机种子（同一种子、同样迭代次数结果相同）")
	workers := fs.Int("workers", 1, "并行搜索数（各用一个种子，取最好解）")
	pos, err := parse(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("参数错误：%v\n%s", err, solveUsage)
	}
	if len(pos) != 1 {
		return fmt.Errorf("需要且只需要一个算例文件（收到 %d 个）\n%s", len(pos), solveUsage)
	}
	if *limit <= 0 {
		return fmt.Errorf("--time-limit 必须大于 0（收到 %s）", *limit)
	}
	if *workers < 1 || *workers > 64 {
		return fmt.Errorf("--workers 应在 1 到 64 之间（收到 %d）", *workers)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("无法打开算例文件 %s：%v", pos[0], err)
	}
	defer f.Close()
	var p *vrp.Problem
	if kind == "cvrp" {
		p, err = vrp.ReadTSPLIB(bufio.NewReader(f))
	} else {
		p, err = vrp.ReadSolomon(bufio.NewReader(f))
	}
	if err != nil {
		return fmt.Errorf("算例文件 %s 格式错误：%v", pos[0], err)
	}
	sol, err := vrp.Solve(ctx, *p, vrp.Options{TimeLimit: *limit, Seed: *seed, Workers: *workers})
	if err != nil {
		return fmt.Errorf("算例无效：%v", err)
	}
	if !sol.Feasible {
		_, verr := vrp.Verify(p, sol.Routes)
		return fmt.Errorf("在时间上限内未找到可行解（%v）", verr)
	}
	return writeSolution(env.Stdout, p, sol, kind)
}

// writeSolution prints routes as "Route #k: c1 c2 …" and the cost: CVRP customers are numbered node id − 1 (the
// CVRPLIB convention, depot 0) and the cost is an integer; Solomon customers keep their numbers and the cost is
// the unrounded Euclidean distance.
func writeSolution(w io.Writer, p *vrp.Problem, sol vrp.Solution, kind string) error {
	var b strings.Builder
	for k, r := range sol.Routes {
		fmt.Fprintf(&b, "Route #%d:", k+1)
		for _, c := range r {
			id := p.Nodes[c].ID
			if kind == "cvrp" {
				id--
			}
			fmt.Fprintf(&b, " %d", id)
		}
		b.WriteByte('\n')
	}
	if kind == "cvrp" {
		fmt.Fprintf(&b, "Cost %.0f\n", sol.Cost)
	} else {
		fmt.Fprintf(&b, "Cost %.2f\n", sol.Cost)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
