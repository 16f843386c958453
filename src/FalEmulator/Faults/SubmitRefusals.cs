using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FalEmulator.Faults;

/// <summary>What a submit attempt meets: refused with a status, accepted with its answer lost or without its id, or answered.</summary>
public enum SubmitFate
{
    Answered,
    Refused429,
    Refused500,
    AnswerLost,
    AnsweredWithoutId,
}

/// <summary>
/// Counts submit attempts per distinct submission (endpoint + body), so that "answer 429 twice" refuses the first two
/// attempts of one job and lets its third through, however many other jobs arrive meanwhile.
/// </summary>
public sealed class SubmitRefusals
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    /// <summary>
    /// What this attempt meets: 429s first, then 500s, then lost answers, then answers without an id, then a plain answer.
    /// </summary>
    public SubmitFate Next(string endpointId, ReadOnlySpan<byte> body, FaultPlan plan)
    {
        if (plan.Submit429 == 0 && plan.Submit500 == 0 && plan.SubmitLost == 0 && plan.SubmitNoId == 0)
        {
            return SubmitFate.Answered;
        }

        var key = endpointId + ":" + Convert.ToHexString(SHA256.HashData(body));
        var attempt = _attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        return attempt <= plan.Submit429 ? SubmitFate.Refused429
            : attempt <= plan.Submit429 + plan.Submit500 ? SubmitFate.Refused500
            : attempt <= plan.Submit429 + plan.Submit500 + plan.SubmitLost ? SubmitFate.AnswerLost
            : attempt <= plan.Submit429 + plan.Submit500 + plan.SubmitLost + plan.SubmitNoId ? SubmitFate.AnsweredWithoutId
            : SubmitFate.Answered;
    }

    public void Clear() => _attempts.Clear();
}
