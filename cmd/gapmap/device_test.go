package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceLifecycleCLI on the hand-checked province: commit (DV1 → ST1),
// hand over, return, inspect ok, commit again (DV1 → a waiting student),
// sell DV4, import its replacements, list the sales; the history of DV1
// shows it all in order.
func TestDeviceLifecycleCLI(t *testing.T) {
	ctx := context.Background()
	root, e, stdout, _ := allocDatabaseProvince(ctx, t)
	step := func(args ...string) string {
		t.Helper()
		stdout.Reset()
		if err := run(ctx, args, e); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return stdout.String()
	}
	step("allocate", "--commit", "--date", "2026-11-01")
	step("handover", "ST1", "--date", "2026-11-05")
	step("handover", "ST1", "--return", "--reason", "chuyển trường", "--date", "2026-11-10")
	if err := run(ctx, []string{"device", "inspect", "--device", "DV1", "--result", "repair", "--date", "2026-11-11"}, e); err == nil ||
		!strings.Contains(err.Error(), "say what is wrong") {
		t.Errorf("repair without a note: %v", err)
	}
	out := step("device", "inspect", "--device", "DV1", "--result", "ok", "--date", "2026-11-12", "--note", "máy tốt", "--actor", "kỹ thuật B")
	if out != "device DV1 inspected on 2026-11-12 by kỹ thuật B: ok, back in stock: a later allocation run may give it to another student\n" {
		t.Errorf("inspect printed %q", out)
	}
	step("allocate", "--commit", "--date", "2026-11-13")
	out = step("device", "history", "--device", "DV1", "--csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var acts []string
	for _, l := range lines[1:] {
		acts = append(acts, strings.Split(l, ",")[1])
	}
	if strings.Join(acts, " ") != "allocate_device handover return inspect restock allocate_device" {
		t.Errorf("history of DV1: %q\n%s", acts, out)
	}
	if !strings.Contains(lines[4], ",inspect,kỹ thuật B,1,ST1,ok on 2026-11-12. máy tốt") || !strings.Contains(lines[6], ",allocate_device,tester,2,ST2,home has fiber: device only") {
		t.Errorf("history lines:\n%s", out)
	}
	table := step("device", "history", "--device", "DV1")
	if !strings.HasPrefix(table, "AT (UTC)") || strings.Count(table, "\n") != 7 {
		t.Errorf("history table:\n%s", table)
	}
	out = step("device", "liquidate", "--devices", "DV4", "--amount", "1.500.000", "--date", "2026-11-20", "--buyer", "Cửa hàng Minh")
	if !strings.HasPrefix(out, "liquidation 1: 1 device(s) sold on 2026-11-20 for 1500000 VND") {
		t.Errorf("liquidate printed %q", out)
	}
	if err := run(ctx, []string{"device", "liquidate", "--devices", "DV2", "--amount", "10"}, e); err == nil || !strings.Contains(err.Error(), "allocated to a student") {
		t.Errorf("selling an allocated device: %v", err)
	}
	csvPath := filepath.Join(root, "mua_moi.csv")
	if err := os.WriteFile(csvPath, []byte("device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n"+
		"NEW1,,tablet,android,12,,4,64,50,true,true,true,true,true,true,SN-N1,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = step("device", "replace", "--liquidation", "1", "--devices", csvPath)
	if out != "liquidation 1: 1 replacement device(s) in stock (donor \"Từ thanh lý\"): NEW1\n" {
		t.Errorf("replace printed %q", out)
	}
	out = step("device", "liquidations")
	want := "\ufeffliquidation_id,sold_on,buyer,amount_vnd,devices_sold,device_ids,replacements,replacement_ids,note,actor\n" +
		"1,2026-11-20,Cửa hàng Minh,1500000,1,DV4,1,NEW1,,tester\ntotal,,,1500000,1,,1,,,\n"
	if out != want {
		t.Errorf("liquidations:\n%q\nwant\n%q", out, want)
	}
	for _, args := range [][]string{
		{"device"}, {"device", "fix"}, {"device", "inspect", "--result", "ok"}, {"device", "history", "--device", "DV1", "--amount", "3"},
		{"device", "liquidate", "--devices", "DV4", "--amount", "ba triệu"}, {"device", "replace", "--devices", csvPath},
	} {
		if err := run(ctx, args, e); !isUsage(err) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
