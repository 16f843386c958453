using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Core.Requests;

/// <summary>
/// A seed of the job's own, sent when the request names none (version 3): stable across reruns of the submit and
/// different between jobs, so that fal's request history can tell this job's submit from another job's with the same
/// prompt (<see cref="FalInputFingerprint"/>). It is recorded in the job's result like any seed fal reports.
/// </summary>
public static class JobSeeds
{
    /// <summary>A seed in 0…2³¹-1 from the job's id.</summary>
    public static long For(string jobId) =>
        BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(jobId))) & int.MaxValue;
}
