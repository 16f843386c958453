namespace Pipeline.Core.Fal;

/// <summary>
/// What the <c>FAL_KEY</c> setting holds. In Azure it is a Key Vault reference; App Service leaves the reference text in
/// the setting when it cannot resolve it (the secret does not exist yet, or the identity may not read it), so a
/// non-empty value is not yet a key.
/// </summary>
public enum FalKeyState
{
    Missing,
    UnresolvedKeyVaultReference,
    Set,
}

public static class FalKey
{
    private const string KeyVaultReferencePrefix = "@Microsoft.KeyVault(";

    public static FalKeyState StateOf(string? key) =>
        string.IsNullOrWhiteSpace(key) ? FalKeyState.Missing
        : key.TrimStart().StartsWith(KeyVaultReferencePrefix, StringComparison.OrdinalIgnoreCase) ? FalKeyState.UnresolvedKeyVaultReference
        : FalKeyState.Set;

    /// <summary>The state as <c>GET /api/health</c> names it.</summary>
    public static string Describe(FalKeyState state) => state switch
    {
        FalKeyState.Missing => "missing",
        FalKeyState.UnresolvedKeyVaultReference => "unresolved_key_vault_reference",
        _ => "set",
    };
}
