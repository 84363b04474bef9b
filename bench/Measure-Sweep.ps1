<#
.SYNOPSIS
Times Invoke-MlpSweep against the foreach loop a user would write, in one pwsh process, paired sample by sample.

.DESCRIPTION
The workload: 12 Digits trials (HiddenSize 32, 64, 128 x LearningRate 0.2, 0.1, 0.05, 0.02; 20 epochs, batch 32),
trained on the same stratified 80% and scored on the other 20%. Each sample times, in an order that rotates from
sample to sample:
  - foreach: New-Mlp | Invoke-Training -ValidationDataset, then Test-Mlp for the score, one trial after the other;
  - Invoke-MlpSweep -ThrottleLimit 2 (two trials at a time, each with its share of the cores);
  - Invoke-MlpSweep -ThrottleLimit 1 (one at a time: the sweep's own cost per trial against the loop's).
It prints each ratio to the foreach loop of the same sample, as a median with its range. Where a test SSH server is
up (MLPTOOLS_TEST_SSH_*, as bench/Invoke-Bench.ps1 starts one), it also runs the same sweep over two SSH sessions to
it and prints what crossed: the dataset's bytes, and the bytes each session's sshd read while the sweep ran (what the
client sent over the socket, encrypted, plus what the remote pwsh wrote back). Run by bench/Invoke-Bench.ps1;
by hand: dotnet pwsh bench/Measure-Sweep.ps1 -ModulePath output/MlpTools/<version>/MlpTools.psd1.

.PARAMETER ModulePath
The built module's manifest.

.PARAMETER Samples
Paired samples (default 5).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Samples = 5
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module ([IO.Path]::GetFullPath($ModulePath))

$digits = Import-Dataset -Name Digits
$train, $held = Split-Dataset -Dataset $digits -TestFraction 0.2 -Stratify -Seed 1
$hidden = 32, 64, 128
$rates = 0.2, 0.1, 0.05, 0.02
$space = [ordered]@{ HiddenSize = $hidden; LearningRate = $rates }

$runs = @{
    Loop  = {
        $i = 0
        foreach ($h in $hidden) {
            foreach ($lr in $rates) {
                $i++
                $net = New-Mlp -Dataset $train -HiddenSize $h -Seed $i | Invoke-Training -ValidationDataset $held -LearningRate $lr -Seed $i
                $null = Test-Mlp -Network $net -Dataset $held
            }
        }
    }
    Sweep2 = { $null = $train | Invoke-MlpSweep $space -ValidationDataset $held -Seed 1 -ThrottleLimit 2 }
    Sweep1 = { $null = $train | Invoke-MlpSweep $space -ValidationDataset $held -Seed 1 -ThrottleLimit 1 }
}
$order = 'Loop', 'Sweep2', 'Sweep1'
foreach ($name in $order) { & $runs[$name] } # warm-up: JIT, first pools

$seconds = @{ Loop = @(); Sweep2 = @(); Sweep1 = @() }
for ($s = 0; $s -lt $Samples; $s++) {
    foreach ($k in 0..2) {
        $name = $order[($s + $k) % 3]
        [GC]::Collect()
        $seconds[$name] += (Measure-Command { & $runs[$name] }).TotalSeconds
    }
}

function Format-Ratio([double[]] $Ratios) {
    $sorted = $Ratios | Sort-Object
    '{0:N2}x median [{1:N2}-{2:N2}]' -f $sorted[[int][Math]::Floor($sorted.Count / 2)], $sorted[0], $sorted[-1]
}
$loop = $seconds.Loop | Sort-Object
$ratio2 = for ($s = 0; $s -lt $Samples; $s++) { $seconds.Sweep2[$s] / $seconds.Loop[$s] }
$ratio1 = for ($s = 0; $s -lt $Samples; $s++) { $seconds.Sweep1[$s] / $seconds.Loop[$s] }
Write-Host ('sweep: 12 Digits trials (H 32/64/128 x 4 learning rates, 20 epochs), {0} paired samples; foreach loop {1:N2} s median' -f $Samples, $loop[[int][Math]::Floor($Samples / 2)])
Write-Host ('sweep -ThrottleLimit 2 / foreach loop: {0}  (target <= 0.60x)' -f (Format-Ratio $ratio2))
Write-Host ('sweep -ThrottleLimit 1 / foreach loop: {0}  (the sweep''s own cost per trial; target <= 1.05x)' -f (Format-Ratio $ratio1))

# What the machine allows: the loop's 12 trainings as two pwsh processes of 6 each, at once and then one after the
# other (paired, alternating). Two trainings side by side can go no faster than this, in one process or in two.
$half = {
    param($Module, $Part)
    Import-Module $Module
    $digits = Import-Dataset -Name Digits
    $train, $held = Split-Dataset -Dataset $digits -TestFraction 0.2 -Stratify -Seed 1
    $hidden = if ($Part -eq 0) { 32, 64, 128 } else { 128, 64, 32 }
    $null = New-Mlp -Dataset $train -HiddenSize 16 -Seed 1 | Invoke-Training -ValidationDataset $held -Epochs 2 -Seed 1   # warm-up
    $clock = [Diagnostics.Stopwatch]::StartNew()
    foreach ($h in $hidden[0..1]) {
        foreach ($lr in 0.2, 0.1, 0.05) {
            $net = New-Mlp -Dataset $train -HiddenSize $h -Seed 1 | Invoke-Training -ValidationDataset $held -LearningRate $lr -Seed 1
            $null = Test-Mlp -Network $net -Dataset $held
        }
    }
    $clock.Elapsed.TotalSeconds
}
Import-Module (Join-Path $PSScriptRoot '../tools/MlpTools.Build.psm1') -Function Get-PwshCommand
$pwsh = @(Get-PwshCommand)
function Start-Half([int] $Part) {
    $file = [IO.Path]::GetTempFileName()
    $script = "& { $half } -Module '$([IO.Path]::GetFullPath($ModulePath))' -Part $Part | Set-Content -LiteralPath '$file'"
    $process = Start-Process -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -PassThru -NoNewWindow
    [pscustomobject]@{ Process = $process; File = $file }
}
function Wait-Half($Half) {
    $Half.Process.WaitForExit()
    $seconds = [double](Get-Content -LiteralPath $Half.File)
    Remove-Item -LiteralPath $Half.File
    $seconds
}
$machine = for ($s = 0; $s -lt [Math]::Max(3, [Math]::Ceiling($Samples / 2)); $s++) {
    $together = @((Start-Half 0), (Start-Half 1)) | ForEach-Object { Wait-Half $_ }
    $alone = @((Wait-Half (Start-Half 0)), (Wait-Half (Start-Half 1)))
    # At once, the pair takes as long as the slower one; one after the other, as long as both.
    ($together | Measure-Object -Maximum).Maximum / ($alone | Measure-Object -Sum).Sum
}
Write-Host ('the machine''s limit: two processes training at once / one after the other: {0}  (two trainings side by side cannot beat this)' -f (Format-Ratio $machine))

if (-not $env:MLPTOOLS_TEST_SSH_PORT) {
    Write-Host 'sweep over sessions: skipped (no test SSH server; bench/Invoke-Bench.ps1 starts one where sshd is installed or installable)'
    return
}
$connection = @{
    HostName = @($env:MLPTOOLS_TEST_SSH_HOST) * 2; Port = [int]$env:MLPTOOLS_TEST_SSH_PORT; UserName = $env:MLPTOOLS_TEST_SSH_USER
    KeyFilePath = $env:MLPTOOLS_TEST_SSH_KEY; Options = $env:MLPTOOLS_TEST_SSH_OPTIONS | ConvertFrom-Json -AsHashtable
}
$sessions = @(New-PSSession @connection)
try {
    $remotePids = Invoke-Command -Session $sessions { $PID }
    function Get-SshdRead {
        foreach ($remote in $remotePids) {
            $parent = [int]((Get-Content "/proc/$remote/stat" -Raw) -replace '(?s)^.*\) \S+ (\d+) .*$', '$1')
            [long]((@(Get-Content "/proc/$parent/io") -match '^rchar:')[0] -replace '\D', '')
        }
    }
    $dataBytes = [MlpTools.Core.Persistence.DatasetBytes]::ToBytes($train).Length + [MlpTools.Core.Persistence.DatasetBytes]::ToBytes($held).Length
    $before = @(Get-SshdRead)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $remote = @($train | Invoke-MlpSweep $space -ValidationDataset $held -Seed 1 -Session $sessions -KeepNetwork None)
    $wall = $clock.Elapsed.TotalSeconds
    $after = @(Get-SshdRead)
    $local = @($train | Invoke-MlpSweep $space -ValidationDataset $held -Seed 1 -ThrottleLimit 2 -KeepNetwork None)
    $same = (($remote | Sort-Object Trial | ForEach-Object { '{0}:{1:R}' -f $_.Trial, $_.Score }) -join ',') -eq (($local | Sort-Object Trial | ForEach-Object { '{0}:{1:R}' -f $_.Trial, $_.Score }) -join ',')
    $perSession = for ($i = 0; $i -lt 2; $i++) { $after[$i] - $before[$i] }
    $trialsPer = $remote | Group-Object SessionId | ForEach-Object Count
    Write-Host ('sweep over 2 SSH sessions to 127.0.0.1: {0} trials ({1}), {2:N2} s; scores equal to the local sweep''s: {3}' -f $remote.Count, ($trialsPer -join ' + '), $wall, $same)
    Write-Host ('  data: {0:N0} bytes of datasets (train + validation), sent once per session; read by each session''s sshd: {1} bytes ({2})' -f
        $dataBytes, (($perSession | ForEach-Object { '{0:N0}' -f $_ }) -join ' and '), (($perSession | ForEach-Object { '{0:N2}x the data' -f ($_ / $dataBytes) }) -join ', '))
}
finally { $sessions | Remove-PSSession }
