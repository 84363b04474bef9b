BeforeAll {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
}

Describe 'tools/New-GemmTiles.ps1' {
    It 'wrote the committed GemmTiles.Generated.cs (edit the script, run it, commit both)' {
        $committed = Join-Path $RepoRoot 'src/MlpTools.Core/Numerics/GemmTiles.Generated.cs'
        $fresh = Join-Path ([System.IO.Path]::GetTempPath()) "GemmTiles.$([guid]::NewGuid().ToString('N')).cs"
        try {
            & (Join-Path $RepoRoot 'tools/New-GemmTiles.ps1') -OutFile $fresh
            $expected = [System.IO.File]::ReadAllText($fresh)
            $actual = [System.IO.File]::ReadAllText($committed)
            $expected.Length | Should -BeGreaterThan 10000
            # Compare line by line first, so that a difference names its line.
            $e = $expected -split "`n"
            $a = $actual -split "`n"
            for ($i = 0; $i -lt [math]::Min($e.Count, $a.Count); $i++) {
                if ($e[$i] -ne $a[$i]) { "line $($i + 1): $($a[$i])" | Should -Be "line $($i + 1): $($e[$i])" }
            }
            $actual | Should -BeExactly $expected
        }
        finally {
            Remove-Item -LiteralPath $fresh -ErrorAction Ignore
        }
    }
}

Describe 'tools/MlpTools.Build.psm1' {
    BeforeAll {
        $script:BuildModule = Join-Path $RepoRoot 'tools/MlpTools.Build.psm1'
        Import-Module $BuildModule -Force
        # Every PowerShell file of the repository but what builds write (output/, bin/, obj/).
        $script:Scripts = @(Get-ChildItem -LiteralPath $RepoRoot -Recurse -File -Include '*.ps1', '*.psm1' |
            Where-Object { $_.FullName.Substring($RepoRoot.Length) -notmatch '[\\/](output|bin|obj|\.git)[\\/]' })
    }
    AfterAll {
        Remove-Module MlpTools.Build -ErrorAction Ignore
    }

    It 'holds the one copy of each of its helpers: no other script defines a function of the same name' {
        $Scripts.Count | Should -BeGreaterThan 10
        $helpers = @((Get-Module MlpTools.Build).ExportedFunctions.Keys)
        $helpers | Should -Contain 'Get-PwshCommand'
        $copies = foreach ($file in $Scripts | Where-Object FullName -NE $BuildModule) {
            $ast = [Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
            $ast.FindAll({ param($a) $a -is [Management.Automation.Language.FunctionDefinitionAst] }, $true) |
                Where-Object Name -In $helpers | ForEach-Object { "$($_.Name) in $($file.FullName)" }
        }
        @($copies) | Should -BeNullOrEmpty
    }

    It 'runs a test SSH server on 127.0.0.1 only, and stops it by its pid with the sessions it serves, leaving no process or folder' {
        Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
        $why = Get-TestSshSkipReason
        if ($why) { Set-ItResult -Skipped -Because $why; return }
        $server = Start-TestSshd
        try {
            Get-Content -Raw -LiteralPath (Join-Path $server.Folder 'sshd_config') | Should -Match '(?m)^ListenAddress 127\.0\.0\.1$'
            $session = New-PSSession -HostName $server.HostName -Port $server.Port -UserName $server.UserName `
                -KeyFilePath $server.KeyFilePath -Options $server.Options -ErrorAction Stop
            $remote = Invoke-Command -Session $session { $PID }
        }
        finally {
            Stop-TestSshd -Server $server   # with the session still open
        }
        try {
            Get-RunningProcessId $server.Id, $remote | Should -BeNullOrEmpty
            Test-Path -LiteralPath $server.Folder | Should -BeFalse
        }
        finally { $session | Remove-PSSession }
    }

    It 'counts a step of the Test task that throws as one failure' {
        $said = Measure-TestStep -Name 'xunit' -Step { throw 'no results' } 6>&1
        $step = $said | Where-Object { $_ -isnot [Management.Automation.InformationRecord] }
        $step.Failed | Should -Be 1
        $step.Passed | Should -Be 0
        "$($said | Where-Object { $_ -is [Management.Automation.InformationRecord] })" | Should -Be 'xunit failed: no results'
        $step.FailedTests | Should -Be @('xunit failed: no results')
    }

    It 'reads the counts and the failed tests, each with the first line of its message, from a TRX file' {
        $trx = Join-Path ([System.IO.Path]::GetTempPath()) "mlptools-$([guid]::NewGuid().ToString('N')).trx"
        try {
            Set-Content -LiteralPath $trx -Encoding utf8NoBOM -Value @'
<?xml version="1.0" encoding="utf-8"?>
<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
  <Results>
    <UnitTestResult testName="Engine.Adds" outcome="Passed" />
    <UnitTestResult testName="Engine.Divides(by: 0)" outcome="Failed">
      <Output><ErrorInfo><Message>Assert.Equal() Failure: Values differ
Expected: 1
Actual:   2</Message><StackTrace>at Engine.Divides()</StackTrace></ErrorInfo></Output>
    </UnitTestResult>
    <UnitTestResult testName="Engine.Skipped" outcome="NotExecuted" />
    <UnitTestResult testName="Engine.Silent" outcome="Failed" />
  </Results>
  <ResultSummary outcome="Failed"><Counters total="4" executed="3" passed="1" failed="2" error="0" timeout="0" aborted="0" /></ResultSummary>
</TestRun>
'@
            $result = Read-TrxResult -Path $trx -ExitCode 1
            $result.Passed | Should -Be 1
            $result.Failed | Should -Be 2
            $result.Skipped | Should -Be 1
            $result.FailedTests | Should -Be @('Engine.Divides(by: 0): Assert.Equal() Failure: Values differ', 'Engine.Silent')
        }
        finally { Remove-Item -LiteralPath $trx -ErrorAction Ignore }
    }

    It 'ends the Test task with "Tests: N passed, M failed" and exit code 1 when M > 0' {
        $steps = @(
            [pscustomobject]@{ Name = 'Build'; Seconds = 1.0; Passed = 0; Failed = 0; Skipped = 0 }
            [pscustomobject]@{ Name = 'xunit'; Seconds = 2.0; Passed = 5; Failed = 0; Skipped = 1 }
            [pscustomobject]@{ Name = 'Pester'; Seconds = 3.0; Passed = 3; Failed = 2; Skipped = 0 })
        $said = @(Write-TestSummary $steps 6>&1)
        $said[-1] | Should -Be 1
        "$($said[-2])" | Should -Be 'Tests: 8 passed, 2 failed, 1 skipped'
        "$($said[0])" | Should -Be 'Time: Build 1.0s, xunit 2.0s, Pester 3.0s, total 6.0s'

        $said = @(Write-TestSummary $steps[0, 1] 6>&1)
        $said[-1] | Should -Be 0
        "$($said[-2])" | Should -Be 'Tests: 5 passed, 0 failed, 1 skipped'
        $said = @(Write-TestSummary $steps[0] 6>&1)
        "$($said[-2])" | Should -Be 'Tests: 0 passed, 0 failed'
    }

    It 'names the failed tests of each step just before its closing lines, so the end of a long log says what failed' {
        $many = 1..23 | ForEach-Object { "Module.Test$_" }
        $steps = @(
            [pscustomobject]@{ Name = 'Build'; Seconds = 1.0; Passed = 0; Failed = 0; Skipped = 0; FailedTests = @() }
            [pscustomobject]@{ Name = 'xunit'; Seconds = 2.0; Passed = 5; Failed = 1; Skipped = 0; FailedTests = @('Engine.Divides: differ') }
            [pscustomobject]@{ Name = 'Pester'; Seconds = 3.0; Passed = 3; Failed = 23; Skipped = 0; FailedTests = $many })
        $said = @(Write-TestSummary $steps 6>&1 | ForEach-Object { "$_" })
        $said[0] | Should -Be 'Failed (xunit): Engine.Divides: differ'
        $said[1..20] | Should -Be ($many[0..19] | ForEach-Object { "Failed (Pester): $_" })
        $said[21] | Should -Be 'Failed (Pester): 3 more, in output/TestResults'
        $said[22] | Should -BeLike 'Time: *'
        $said[23] | Should -Be 'Tests: 8 passed, 24 failed'
    }
}

Describe 'build.ps1' {
    BeforeAll {
        function Get-ScriptParameter([string] $Path, [string] $Name) {
            $ast = [Management.Automation.Language.Parser]::ParseFile((Join-Path $RepoRoot $Path), [ref]$null, [ref]$null)
            $ast.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -eq $Name }
        }
        function Get-Choices($Parameter) {
            $set = $Parameter.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateSet' }
            @($set.PositionalArguments.Value)
        }
    }

    It 'has a task for every choice of -Task, and its help describes each' {
        $build = Join-Path $RepoRoot 'build.ps1'
        $choices = Get-Choices (Get-ScriptParameter build.ps1 Task)
        $choices.Count | Should -Be 8
        $ast = [Management.Automation.Language.Parser]::ParseFile($build, [ref]$null, [ref]$null)
        $tasks = $ast.Find({ param($a) $a -is [Management.Automation.Language.AssignmentStatementAst] -and
                "$($a.Left)" -eq '$Tasks' }, $false).Right.Expression
        @($tasks.KeyValuePairs | ForEach-Object { "$($_.Item1)" } | Sort-Object) | Should -Be @($choices | Sort-Object)
        $help = (Get-Help $build -Parameter Task).Description.Text -join "`n"
        foreach ($choice in $choices) { $help | Should -Match "(?m)^$choice\s+\S" }
    }

    It 'offers the fuzz script''s own choices of -Target and range of -Seconds' {
        $fuzz = 'tests/MlpTools.Fuzz/Invoke-Fuzz.ps1'
        Get-Choices (Get-ScriptParameter build.ps1 Target) | Should -Be (Get-Choices (Get-ScriptParameter $fuzz Target))
        $range = { param($p) "$(($p.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateRange' }).PositionalArguments)" }
        & $range (Get-ScriptParameter build.ps1 Seconds) | Should -Be (& $range (Get-ScriptParameter $fuzz Seconds))
        "$((Get-ScriptParameter build.ps1 Seconds).DefaultValue)" | Should -Be "$((Get-ScriptParameter $fuzz Seconds).DefaultValue)"
    }
}

Describe 'bench/Invoke-Bench.ps1' {
    It 'needs nothing outside the clone unless asked to compare, and then says where it looked, before building' {
        Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
        $missing = Join-Path $TestDrive 'no-peers'
        $pwsh = @(Get-PwshCommand)
        $said = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'bench/Invoke-Bench.ps1') `
            -Compare -PeersPath $missing 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        $said | Should -Match ([regex]::Escape($missing))
        $said | Should -Not -Match 'Build succeeded'
        Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'bench/Invoke-Bench.ps1') | Should -Not -Match '/work/'
    }
}

Describe 'The Bench''s peer check (tools/MlpTools.Build.psm1)' {
    BeforeAll {
        Import-Module (Join-Path $RepoRoot 'tools/MlpTools.Build.psm1') -Force
        # What bench/peers/blas_info.py printed for numpy on Debian 12, with libopenblas0-pthread and without it.
        $script:OpenBlasReport = '{"lib": "numpy", "version": "1.24.2", "threads": 2, "threadpools": [{"user_api": "blas", "internal_api": "openblas", ' +
            '"prefix": "libopenblas", "filepath": "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so", "version": "0.3.21", ' +
            '"threading_layer": "pthreads", "architecture": "Zen", "num_threads": 2}], "mapped": ["/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", ' +
            '"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"], "env": {"OPENBLAS_NUM_THREADS": "2"}}'
        $script:ReferenceReport = '{"lib": "numpy", "version": "1.24.2", "threads": 2, "threadpools": [], ' +
            '"mapped": ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"], "env": {}}'
    }
    AfterAll {
        Remove-Module MlpTools.Build -ErrorAction Ignore
    }

    It 'accepts a peer on OpenBLAS and names its library, version, kernel and threads' {
        $blas = Get-BenchPeerBlas -Report $OpenBlasReport
        $blas.Lib | Should -Be 'numpy'
        $blas.Blas | Should -Be 'OpenBLAS 0.3.21'
        $blas.Kernel | Should -Be 'Zen'
        $blas.Threads | Should -Be 2
        $blas.Summary | Should -Be 'numpy 1.24.2: OpenBLAS 0.3.21 (pthreads), kernel Zen, 2 threads; /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so'
    }

    It 'refuses a peer on the reference BLAS, or on any BLAS but OpenBLAS, saying to install libopenblas0-pthread' {
        { Get-BenchPeerBlas -Report $ReferenceReport } | Should -Throw '*numpy peer runs the reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0)*libopenblas0-pthread*'
        $blis = $OpenBlasReport.Replace('"internal_api": "openblas"', '"internal_api": "blis"')
        { Get-BenchPeerBlas -Report $blis } | Should -Throw '*runs blis (*not OpenBLAS*libopenblas0-pthread*'
        # OpenBLAS reported, but the reference libblas mapped beside it: refused too.
        $both = $OpenBlasReport.Replace('"mapped": [', '"mapped": ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", ')
        { Get-BenchPeerBlas -Report $both } | Should -Throw '*libopenblas0-pthread*'
        { Get-BenchPeerBlas -Report 'Traceback (most recent call last):' } | Should -Throw '*blas_info.py printed no report*Traceback*'
    }

    It 'runs the peers with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in their own command, a thread per core, and leaves this process''s alone' {
        $saved = $env:OPENBLAS_CORETYPE, $env:OPENBLAS_L2_SIZE
        try {
            $env:OPENBLAS_CORETYPE = 'Haswell'
            $env:OPENBLAS_L2_SIZE = '1048576'
            $command = @(Get-BenchPeerCommand)
            $seen = & $command[0] @($command | Select-Object -Skip 1) /usr/bin/env
            $LASTEXITCODE | Should -Be 0
            @($seen | Where-Object { $_ -match '^OPENBLAS_(CORETYPE|L2_SIZE)=' }) | Should -BeNullOrEmpty
            $seen | Should -Contain "OPENBLAS_NUM_THREADS=$([Environment]::ProcessorCount)"
            $seen | Should -Contain "PATH=$env:PATH"
            $env:OPENBLAS_CORETYPE | Should -Be 'Haswell'
            $env:OPENBLAS_L2_SIZE | Should -Be '1048576'
        }
        finally { $env:OPENBLAS_CORETYPE, $env:OPENBLAS_L2_SIZE = $saved }
    }

    It 'names the peers'' Debian packages, OpenBLAS and threadpoolctl among them' {
        $module = Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'tools/MlpTools.Build.psm1')
        foreach ($package in 'python3-numpy', 'python3-torch', 'python3-sklearn', 'python3-threadpoolctl', 'libopenblas0-pthread') {
            $module | Should -Match "BenchPeerPackages = @\(.*'$([regex]::Escape($package))'"
        }
        foreach ($file in 'bench/Invoke-Bench.ps1', 'bench/MlpTools.Bench/Program.cs') {
            Get-Content -Raw -LiteralPath (Join-Path $RepoRoot $file) | Should -Not -Match 'SkylakeX|\.\./shared'
        }
    }
}
