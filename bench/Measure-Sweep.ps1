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

# What two trainings at once get from this machine, with no tail to wait for: two long trials (150 epochs each) with
# -ThrottleLimit 2 against -ThrottleLimit 1, paired. The 12-trial sweep cannot beat this ratio by much.
$pair = @{ HiddenSize = 64, 65; Epochs = 150 }
$two = for ($s = 0; $s -lt $Samples; $s++) {
    $one = (Measure-Command { $null = $train | Invoke-MlpSweep $pair -ValidationDataset $held -Seed 1 -ThrottleLimit 1 }).TotalSeconds
    $both = (Measure-Command { $null = $train | Invoke-MlpSweep $pair -ValidationDataset $held -Seed 1 -ThrottleLimit 2 }).TotalSeconds
    $both / $one
}
Write-Host ('two long trainings at once / one after the other: {0}  (what two cores give two trainings here; 0.50x if they shared nothing)' -f (Format-Ratio $two))

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
