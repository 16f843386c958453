using Microsoft.Extensions.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Costs;

/// <summary>Estimates what a request costs at fal before it is submitted (see <see cref="CostOptions"/>).</summary>
public class PriceTable(IOptions<CostOptions> options)
{
    public virtual JobCost Estimate(VideoMode mode, VideoRequest request)
    {
        var o = options.Value;
        var seconds = int.TryParse(
            request.Duration, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s)
            ? s
            : o.AutoDurationSeconds;
        var perSecond = o.PricePerSecondUsd.TryGetValue(request.Resolution, out var price) ? price : o.PricePerSecondUsd.Values.Max();
        if (mode == VideoMode.ReferenceToVideo && request.VideoUrls.Count > 0)
        {
            perSecond *= o.VideoInputFactor;
        }

        return new JobCost(seconds, decimal.Round(seconds * perSecond, 4, MidpointRounding.AwayFromZero));
    }
}
