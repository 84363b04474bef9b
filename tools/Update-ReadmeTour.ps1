<#
.SYNOPSIS
Runs the README's tour as a script and writes its real output into the README, or checks that it is there.

.DESCRIPTION
The tour (README.md, from "## A tour" to "### In scripts") is a transcript: in its ``` blocks, "PS> " starts a
command, ">> " continues it, and the lines after it are its output; the lines of a ```powershell block are
commands with no output shown. This script runs every command, in order, as one -File script in a fresh pwsh
with the built module (so the output is what a user who pastes the tour into a script sees), from the repository
root, with plain-text rendering, and marks where each command's output starts with Write-Host, which does not
touch the formatting of the output stream.

Without -Check it replaces each command's output lines in README.md with what the command printed. With -Check
it writes nothing and returns the differences, one line each ("<command>: expected ... but got ..."); none means
the README shows what the tour prints. Timings (the Seconds column of history rows and of sweep results) are not compared.

.PARAMETER ModulePath
The built module's manifest. Default: $env:MLPTOOLS_MODULE_PATH, else output/MlpTools/<version>/MlpTools.psd1.

.PARAMETER Check
Compare instead of writing.

.EXAMPLE
dotnet pwsh ./build.ps1; dotnet pwsh tools/Update-ReadmeTour.ps1
#>
[CmdletBinding()]
param(
    [string] $ModulePath = $env:MLPTOOLS_MODULE_PATH,
    [switch] $Check
)

$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
$readme = Join-Path $root 'README.md'
Import-Module (Join-Path $PSScriptRoot 'MlpTools.Build.psm1') -Function Get-BuiltManifestPath
if (-not $ModulePath) { $ModulePath = Get-BuiltManifestPath }
if (-not (Test-Path -LiteralPath $ModulePath)) { throw "MlpTools is not built yet: run 'dotnet pwsh ./build.ps1' first." }

$lines = [IO.File]::ReadAllLines($readme)
$start = [Array]::IndexOf($lines, '## A tour')
$end = [Array]::IndexOf($lines, '### In scripts')
if ($start -lt 0 -or $end -lt $start) { throw "README.md has no '## A tour' ... '### In scripts' section." }

# The tour's commands: their text, and the README lines (first, last) that hold their output, if shown.
$commands = [Collections.Generic.List[object]]::new()
$inBlock = $false; $plain = $false; $current = $null
for ($i = $start; $i -lt $end; $i++) {
    $line = $lines[$i]
    if ($line -match '^```') {
        if ($inBlock) { $inBlock = $false; $current = $null; continue }
        $inBlock = $true; $plain = $line -eq '```powershell'; continue
    }
    if (-not $inBlock) { continue }
    if ($plain) {
        if ($line.Trim()) { $commands.Add([pscustomobject]@{ Text = $line; First = -1; Last = -2; Shown = $false }) }
        continue
    }
    if ($line.StartsWith('PS> ')) {
        $current = [pscustomobject]@{ Text = $line.Substring(4); First = $i + 1; Last = $i; Shown = $true }
        $commands.Add($current)
    }
    elseif ($line.StartsWith('>> ') -and $current -and $current.Last -eq $i - 1) {
        $current.Text += "`n" + $line.Substring(3)
        $current.First = $i + 1; $current.Last = $i
    }
    elseif ($current) {
        $current.Last = $i
    }
}

# One script: a marker before each command, then the command as the README has it.
$script = [Text.StringBuilder]::new()
$null = $script.AppendLine('$PSStyle.OutputRendering = "PlainText"')
$null = $script.AppendLine("Import-Module '$($ModulePath.Replace("'", "''"))'")
$null = $script.AppendLine("Set-Location -LiteralPath '$($root.Path.Replace("'", "''"))'")
for ($k = 0; $k -lt $commands.Count; $k++) {
    $null = $script.AppendLine("Write-Host '<<<tour $k>>>'")
    $null = $script.AppendLine($commands[$k].Text)
}
$null = $script.AppendLine("Write-Host '<<<tour end>>>'")
$file = Join-Path ([IO.Path]::GetTempPath()) "mlptools-tour-$PID.ps1"
[IO.File]::WriteAllText($file, $script.ToString())
try {
    # The PowerShell running this script: under `dotnet pwsh`, the dotnet host running $PSHOME/pwsh.dll.
    $pwsh = [Environment]::ProcessPath
    $pwshArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    $printed = & $pwsh @pwshArgs -NoProfile -NonInteractive -File $file 2>&1 | ForEach-Object { "$_" }
    if ($LASTEXITCODE -ne 0) { throw "The tour failed (exit code $LASTEXITCODE):`n$($printed -join "`n")" }
}
finally {
    Remove-Item -LiteralPath $file -ErrorAction Ignore
}

# Each command's output, between its marker and the next.
$outputs = @{}
$k = -1
foreach ($line in $printed) {
    if ($line -match '^<<<tour (\d+|end)>>>$') { $k = if ($Matches[1] -eq 'end') { -1 } else { [int]$Matches[1] }; $outputs[$k] = [Collections.Generic.List[string]]::new(); continue }
    if ($k -ge 0) { $outputs[$k].Add($line.TrimEnd()) }
}

function Get-Shown([string[]] $text) {
    # Blank lines at either end are not part of what a command shows.
    $text = @($text | ForEach-Object { "$_" })
    $first = 0; while ($first -lt $text.Count -and -not $text[$first].Trim()) { $first++ }
    $last = $text.Count - 1; while ($last -ge $first -and -not $text[$last].Trim()) { $last-- }
    if ($last -lt $first) { return , @() }
    return , @($text[$first..$last])
}
function Get-Comparable([string[]] $text) {
    # A history row ends with its epoch's seconds, and a sweep result's row has its trial's seconds after its epochs:
    # no two runs share them.
    @($text | ForEach-Object { "$_" } | Where-Object { $_.Trim() } | ForEach-Object {
            $_.TrimEnd() -replace '^(\s*\d+\s.*\s)\d+\.\d{3}$', '$1#' -replace '^(\s*\d+ [ *]{4}\s+[\d.]*\s+\d+\s+)\d+\.\d( (Completed|Failed) .*)$', '$1#$2'
        })
}

$differences = [Collections.Generic.List[string]]::new()
$newLines = [Collections.Generic.List[string]]::new()
$copied = 0
for ($k = 0; $k -lt $commands.Count; $k++) {
    $c = $commands[$k]
    $got = Get-Shown $outputs[$k]
    if (-not $c.Shown) {
        if ($got.Count -gt 0) { $differences.Add("$($c.Text): prints $($got.Count) lines, but the README shows none (put it in a PS> block)") }
        continue
    }
    $expected = if ($c.Last -ge $c.First) { @($lines[$c.First..$c.Last]) } else { @() }
    $a = Get-Comparable $expected; $b = Get-Comparable $got
    if (($a -join "`n") -ne ($b -join "`n")) {
        $differences.Add("$($c.Text): the README shows`n$($a -join "`n")`nbut the tour printed`n$($b -join "`n")")
    }
    # The README with this command's output replaced (blank lines around a table kept as PowerShell prints them).
    while ($copied -lt $c.First) { $newLines.Add($lines[$copied]); $copied++ }
    foreach ($line in $got) { $newLines.Add($line) }
    $copied = $c.Last + 1
}
while ($copied -lt $lines.Count) { $newLines.Add($lines[$copied]); $copied++ }

if ($Check) { return $differences }
[IO.File]::WriteAllText($readme, ($newLines -join "`n") + "`n")
Write-Host "README.md: the output of $(@($commands | Where-Object Shown).Count) tour commands written."
