package daemon

import (
	"fmt"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// BurstMode answers burst.enable, burst.disable and burst.query: whether License burst mode
// is granted ("License burst mode": "enabled by default ... To disable the License burst
// mode feature, use the Citrix Licensing Manager").
type BurstMode struct {
	Enabled bool `json:"enabled"`
}

func (d *Daemon) burstOp(op string) (*BurstMode, error) {
	switch op {
	case "burst.enable", "burst.disable":
		on := op == "burst.enable"
		value := "on"
		if !on {
			value = "off"
		}
		b := storage.NewBatch()
		b.PutSetting(actors.BurstSetting, []byte(value))
		if err := d.store.Commit(b); err != nil {
			return nil, fmt.Errorf("store the burst mode setting: %w", err)
		}
		d.engine.Broadcast(&actors.SetBurst{Off: !on})
		d.debug.Info(d.now(), "License burst mode "+map[bool]string{true: "enabled", false: "disabled"}[on]+" by an administrator")
		return &BurstMode{Enabled: on}, nil
	case "burst.query":
		v, ok, err := d.store.Setting(actors.BurstSetting)
		if err != nil {
			return nil, fmt.Errorf("read the burst mode setting: %w", err)
		}
		return &BurstMode{Enabled: !ok || string(v) != "off"}, nil
	}
	return nil, wire.Errorf(wire.CodeBadRequest, "unknown burst operation "+op)
}
