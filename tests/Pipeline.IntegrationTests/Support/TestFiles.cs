namespace Pipeline.IntegrationTests.Support;

/// <summary>Small committed images (tests/Pipeline.IntegrationTests/Fixtures), copied beside the test assembly.</summary>
public static class TestFiles
{
    public static BinaryData Jpeg => BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "landscape-320x180.jpg")));

    public static BinaryData Png => BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "portrait-64x96.png")));

    public static BinaryData Json(object value) => BinaryData.FromObjectAsJson(value);
}
