namespace Pipeline.IntegrationTests.Support;

/// <summary>Small committed images (tests/Pipeline.IntegrationTests/Fixtures), copied beside the test assembly.</summary>
public static class TestFiles
{
    public static BinaryData Jpeg => FromOutput("Fixtures", "landscape-320x180.jpg");

    public static BinaryData Png => FromOutput("Fixtures", "portrait-64x96.png");

    /// <summary>A 2 s MP4 (the emulator's own fallback clip, copied beside the tests).</summary>
    public static BinaryData Mp4 => FromOutput("assets", "fallback-silent.mp4");

    /// <summary>One second of silence as a 8 kHz mono 16-bit WAV.</summary>
    public static BinaryData Wav
    {
        get
        {
            const int rate = 8000;
            var data = new byte[rate * 2];
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true))
            {
                writer.Write("RIFF"u8);
                writer.Write(36 + data.Length);
                writer.Write("WAVEfmt "u8);
                writer.Write(16);
                writer.Write((short)1);
                writer.Write((short)1);
                writer.Write(rate);
                writer.Write(rate * 2);
                writer.Write((short)2);
                writer.Write((short)16);
                writer.Write("data"u8);
                writer.Write(data.Length);
                writer.Write(data);
            }

            return BinaryData.FromBytes(stream.ToArray());
        }
    }

    public static BinaryData Json(object value) => BinaryData.FromObjectAsJson(value);

    /// <summary>A file of the test assembly's output folder.</summary>
    private static BinaryData FromOutput(string folder, string name) =>
        BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, folder, name)));
}
