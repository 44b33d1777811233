package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
)

// maxWidgetImage bounds what is kept of a rendered graph: CloudWatch's
// PNGs of one metric are tens of KB; Slack takes files far larger.
const maxWidgetImage = 5 << 20

// MetricImage renders a CloudWatch metric widget (the MetricWidget JSON
// GetMetricWidgetImage takes) as a PNG, in region with the bot's own
// credentials, or role's when it is set (a target in another account).
// Errors name the permission, since the usual one is a policy without
// cloudwatch:GetMetricWidgetImage.
func (c *Clients) MetricImage(ctx context.Context, region, role string, widget []byte) ([]byte, error) {
	if region == "" {
		return nil, errors.New("no region to render the graph in")
	}
	a, err := c.get(ctx, region, role)
	if err != nil {
		return nil, err
	}
	out, err := a.cloudwatch.GetMetricWidgetImage(ctx, &cloudwatch.GetMetricWidgetImageInput{
		MetricWidget: aws.String(string(widget)),
		OutputFormat: aws.String("png"),
	})
	if err != nil {
		return nil, apiError("cloudwatch:GetMetricWidgetImage", err)
	}
	if len(out.MetricWidgetImage) == 0 || len(out.MetricWidgetImage) > maxWidgetImage {
		return nil, fmt.Errorf("cloudwatch:GetMetricWidgetImage returned an image of %d bytes", len(out.MetricWidgetImage))
	}
	return out.MetricWidgetImage, nil
}
