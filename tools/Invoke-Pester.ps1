<#
.SYNOPSIS
Runs the Pester tests against the built MlpTools module.

.DESCRIPTION
build.ps1 -Task Test runs this script in a fresh pwsh. It imports Pester (the version that
tools/Pester.proj pins) from the NuGet global packages folder, points the tests at the built
module through $env:MLPTOOLS_MODULE_PATH, runs them with detailed output, writes NUnit XML to
the results folder and, with -CountsPath, the counts as JSON:
{ "Passed": n, "Failed": n, "Skipped": n, ..., "FailedTests": [ "name: first line of its error", ... ] }.

It can also be run by hand, after `dotnet pwsh ./build.ps1` and `dotnet restore tools/Pester.proj`:

    dotnet pwsh tools/Invoke-Pester.ps1 -Path tests/Pester/Module.Tests.ps1

For the remoting tests (Remoting.Tests.ps1) it starts a private OpenSSH server on 127.0.0.1 for the run and
stops it at the end (Use-TestSshd in tools/MlpTools.Build.psm1: the connection reaches the tests in
MLPTOOLS_TEST_SSH_* environment variables, and the server's log is kept as sshd.log in the results folder). When
sshd is missing it is installed with apt-get (Debian's openssh-server) if running as root; where it cannot be, the
remoting tests are skipped and say why, unless MLPTOOLS_REQUIRE_REMOTING=1 (set by .ci/run), where they fail.

.PARAMETER Path
Test files or folders to run. Default: tests/Pester.

.PARAMETER ModulePath
The built module's manifest. Default: $env:MLPTOOLS_MODULE_PATH, else
output/MlpTools/<version>/MlpTools.psd1.

.PARAMETER ResultsDirectory
Where pester.xml (NUnit) goes. Default: output/TestResults.

.PARAMETER CountsPath
Where to write the counts as JSON. Default: none.

.PARAMETER FullNameFilter
Run only the tests whose full name matches one of these wildcard patterns.
#>
[CmdletBinding()]
param(
    [string[]] $Path = @(Join-Path $PSScriptRoot '../tests/Pester'),
    [string] $ModulePath = $env:MLPTOOLS_MODULE_PATH,
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot '../output/TestResults'),
    [string] $CountsPath,
    [string[]] $FullNameFilter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Get-PesterManifest {
    <# Pester.psd1 from the NuGet global packages folder, at the version tools/Pester.proj pins. #>
    return Join-Path (Get-TestPackageFolder -Name Pester) 'tools/Pester.psd1'
}

Import-Module (Join-Path $PSScriptRoot 'MlpTools.Build.psm1') -Function Get-BuiltManifestPath, Get-TestPackageFolder, Use-TestSshd, Format-FailedTest
if (-not $ModulePath) { $ModulePath = Get-BuiltManifestPath }
if (-not (Test-Path -LiteralPath $ModulePath)) {
    throw "Built module not found ('$ModulePath'). Run 'dotnet pwsh ./build.ps1' first, or pass -ModulePath."
}
$env:MLPTOOLS_MODULE_PATH = (Resolve-Path -LiteralPath $ModulePath).ProviderPath

Import-Module -Name (Get-PesterManifest) -Force

$null = New-Item -ItemType Directory -Path $ResultsDirectory -Force
$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
# Colour codes only on a terminal; CI logs and redirected output stay plain text.
$config.Output.RenderMode = if ([Console]::IsOutputRedirected -or $env:NO_COLOR) { 'Plaintext' } else { 'Auto' }
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $ResultsDirectory 'pester.xml'
if ($FullNameFilter) { $config.Filter.FullName = $FullNameFilter }

# The remoting tests connect to a private SSH server on 127.0.0.1, up for the run only.
$result = Use-TestSshd -LogFolder $ResultsDirectory { Invoke-Pester -Configuration $config }

# A file that fails to load, or a failing BeforeAll/AfterAll, may leave no failed test behind;
# count each such container or block as one failure so it can never pass unnoticed.
$failed = $result.FailedCount + $result.FailedContainersCount
if ($result.FailedCount -eq 0) { $failed += $result.FailedBlocksCount }
$counts = [ordered]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount
    NotRun  = $result.NotRunCount
    Total   = $result.TotalCount
    # Named in the Test task's closing summary: each failed test with the first line of its error, then any file or
    # block that failed outside a test.
    FailedTests = @(
        $result.Failed | ForEach-Object { Format-FailedTest $_.ExpandedPath "$($_.ErrorRecord | Select-Object -First 1)" }
        $result.FailedContainers | ForEach-Object { Format-FailedTest "$($_.Item)" "$($_.ErrorRecord | Select-Object -First 1)" }
        if ($result.FailedCount -eq 0) {
            $result.FailedBlocks | ForEach-Object { Format-FailedTest $_.ExpandedPath "$($_.ErrorRecord | Select-Object -First 1)" }
        })
}
if ($CountsPath) {
    $counts | ConvertTo-Json | Set-Content -LiteralPath $CountsPath -Encoding utf8NoBOM
}
exit [int]($failed -gt 0)
