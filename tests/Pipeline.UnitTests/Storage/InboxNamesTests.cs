using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.UnitTests.Storage;

public sealed class InboxNamesTests
{
    [Theory]
    [InlineData("photo.jpg")]
    [InlineData("trips/2026/beach.jpg")]
    [InlineData(".hidden.jpg")]
    [InlineData("Ünïcode ✓ ф/名字.png")]
    [InlineData("with spaces and %41 escapes.jpg")]
    public void Problem_AnOrdinaryName_IsNone(string name) => Assert.Null(InboxNames.Problem(name));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("..\\videos\\twice.jpg", "backslash")]
    [InlineData("../videos/twice.jpg", "'..'")]
    [InlineData("a/../../b.jpg", "'..'")]
    [InlineData("./a.jpg", "'.'")]
    [InlineData("a//b.jpg", "empty")]
    [InlineData("/rooted.jpg", "start or end")]
    [InlineData("folder/", "start or end")]
    [InlineData("tab\tname.jpg", "control")]
    [InlineData("nul\0.jpg", "control")]
    [InlineData("broken\uFFFD.jpg", "UTF-8")]
    [InlineData("lone\uD800.jpg", "UTF-8")]
    public void Problem_ANameThatCouldMeanAnotherPlace_IsRefusedWithItsReason(string name, string reason) =>
        Assert.Contains(reason, InboxNames.Problem(name), StringComparison.Ordinal);

    [Fact]
    public void Problem_ANameLongerThanAzureAllows_IsRefused() =>
        Assert.Contains("1024", InboxNames.Problem(new string('a', 1021) + ".jpg"), StringComparison.Ordinal);
}
