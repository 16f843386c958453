using Pipeline.Core.Inbox;

namespace Pipeline.UnitTests.Inbox;

public sealed class HeifTransformsTests
{
    [Fact]
    public void Read_AnIPhoneStylePortrait_IsTurned90Clockwise() =>
        Assert.Equal((90, false), HeifTransforms.Read(PhotoFixtures.Bytes("portrait.heic")));

    [Fact]
    public void Read_AHeicWithoutIrot_IsNotTurned() =>
        Assert.Equal((0, false), HeifTransforms.Read(PhotoFixtures.Bytes("landscape.heic")));

    [Theory]
    [InlineData("corrupt.heic")]
    [InlineData("plain.jpg")]
    public void Read_BoxesItCannotFollow_AreNoTurn(string fixture) =>
        Assert.Equal((0, false), HeifTransforms.Read(PhotoFixtures.Bytes(fixture)));

    [Fact]
    public void Read_EveryCutOfAHeic_NeverThrows()
    {
        var heic = PhotoFixtures.Bytes("portrait.heic");
        for (var length = 0; length <= heic.Length; length++)
        {
            HeifTransforms.Read(heic.AsSpan(0, length));
        }
    }
}
