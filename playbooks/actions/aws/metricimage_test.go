package aws

// GetMetricWidgetImage against fakeCBOR (moto does not render images):
// the widget goes as sent, the PNG comes back; a refusal keeps AWS's code.

import (
	"bytes"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/incident-bot/incident-bot/internal/testmoto"
)

func TestMetricImage(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	widget := `{"metrics":[["AWS/ECS","CPUUtilization","ClusterName","prod",{"stat":"Average","period":60}]],"start":"-PT3H"}`
	var got cbor.Map
	url := fakeCBOR(t, "GraniteServiceVersion20100801", "GetMetricWidgetImage", func(in cbor.Map) cbor.Value {
		got = in
		return cbor.Map{"MetricWidgetImage": cbor.Slice(png)}
	})
	testmoto.Use(t, url)
	f := fixtureAt(t)
	img, err := f.clients.MetricImage(f.ctx(), "eu-west-2", "", []byte(widget))
	if err != nil || !bytes.Equal(img, png) {
		t.Fatalf("image %q, %v", img, err)
	}
	if got["MetricWidget"] != cbor.String(widget) || got["OutputFormat"] != cbor.String("png") {
		t.Errorf("request %v", got)
	}
	if _, err := f.clients.MetricImage(f.ctx(), "", "", []byte(widget)); err == nil {
		t.Error("rendered without a region")
	}
}
