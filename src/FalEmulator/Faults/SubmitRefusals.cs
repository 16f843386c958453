using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FalEmulator.Faults;

/// <summary>
/// Counts refused submits per distinct submission (endpoint + body), so that "answer 429 twice" refuses the first two
/// attempts of one job and lets its third through, however many other jobs arrive meanwhile.
/// </summary>
public sealed class SubmitRefusals
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    /// <summary>The status to refuse this attempt with (429 or 500), or null to accept it.</summary>
    public int? Next(string endpointId, ReadOnlySpan<byte> body, FaultPlan plan)
    {
        if (plan.Submit429 == 0 && plan.Submit500 == 0)
        {
            return null;
        }

        var key = endpointId + ":" + Convert.ToHexString(SHA256.HashData(body));
        var attempt = _attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (attempt <= plan.Submit429)
        {
            return 429;
        }

        return attempt <= plan.Submit429 + plan.Submit500 ? 500 : null;
    }

    public void Clear() => _attempts.Clear();
}
