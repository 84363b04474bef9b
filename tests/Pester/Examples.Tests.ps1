# The examples in the help and in examples/*.ps1 are the same ones, and all of them run.
#  - every help example is one Show-Example block of a script in examples/, and every such block is in some help;
#  - every help example runs without error in a fresh runspace with only the module imported;
#  - every script in examples/ runs without error in a fresh runspace, and Demo.ps1 in a fresh pwsh too.

BeforeDiscovery {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $examplesDir = Join-Path $PSScriptRoot '../../examples'

    $helpExamples = foreach ($command in Get-Command -Module MlpTools -CommandType Cmdlet) {
        $i = 0
        foreach ($example in @((Get-Help $command.Name -Examples).examples.example)) {
            $i++
            @{ Command = $command.Name; Number = $i; Title = $example.title.Trim('- ') -replace '^Example \d+: ', ''; Code = $example.code.Trim() }
        }
    }
    $scripts = @(Get-ChildItem -Path $examplesDir -Filter *.ps1 | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } })
}

BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $examplesDir = Join-Path $PSScriptRoot '../../examples'

    # The Show-Example blocks of examples/*.ps1: title -> code, dedented as the help shows it.
    function Get-ScriptExample {
        foreach ($file in Get-ChildItem -Path $examplesDir -Filter *.ps1) {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
            $calls = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Show-Example' }, $true)
            foreach ($call in $calls) {
                $text = $call.CommandElements[2].ScriptBlock.Extent.Text
                $lines = @($text.Substring(1, $text.Length - 2) -split '\r?\n' | Where-Object { $_.Trim() })
                $indent = ($lines | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
                [pscustomobject]@{
                    File  = $file.Name
                    Title = $call.CommandElements[1].SafeGetValue()
                    Code  = ($lines | ForEach-Object { $_.Substring($indent) }) -join "`n"
                }
            }
        }
    }
    $scriptExamples = @(Get-ScriptExample)
    $helpTitles = @(Get-Command -Module MlpTools -CommandType Cmdlet | ForEach-Object { (Get-Help $_.Name -Examples).examples.example } |
        ForEach-Object { $_.title.Trim('- ') -replace '^Example \d+: ', '' })
}

Describe 'Help examples' {
    It '<Command> example <Number> is a Show-Example block in examples/' -ForEach $helpExamples {
        $match = @($scriptExamples | Where-Object Title -EQ $Title)
        $match.Count | Should -Be 1 -Because "'$Title' should be the title of one Show-Example block"
        ($Code -replace '\r', '') | Should -BeExactly $match[0].Code
    }

    It 'every Show-Example block in examples/ is in some cmdlet''s help' {
        @($scriptExamples | Where-Object { $_.Title -notin $helpTitles } | ForEach-Object { "$($_.File): $($_.Title)" }) | Should -BeNullOrEmpty
    }

    It '<Command> example <Number> runs without error in a fresh runspace' -ForEach $helpExamples {
        # An example that opens sessions (New-PSSession -HostName 127.0.0.1) reaches the test SSH server, as
        # examples/_Common.ps1 arranges for the scripts: its connection becomes New-PSSession's defaults.
        $defaults = ''
        if ($Code -match 'New-PSSession') {
            $skip = Get-TestSshSkipReason
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $defaults = ". '$((Join-Path $examplesDir '_Common.ps1') -replace "'", "''")'`n"
        }
        $state = [initialsessionstate]::CreateDefault()
        $state.ImportPSModule($env:MLPTOOLS_MODULE_PATH)
        $ps = [powershell]::Create($state)
        try {
            $null = $ps.AddScript("`$ErrorActionPreference = 'Stop'`n$defaults$Code").AddCommand('Out-String')
            $output = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            ($output -join '') | Should -Not -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Example scripts' {
    It 'examples/<Name> runs without error in a fresh runspace' -ForEach $scripts {
        # A runspace of this process: the same isolation of state as a new pwsh, without paying for a cold start
        # per script (examples/Demo.ps1 also runs in a fresh pwsh below). The script imports the module itself.
        $ps = [powershell]::Create([initialsessionstate]::CreateDefault())
        try {
            $null = $ps.AddScript("& '$($Path -replace "'", "''")' | Out-Null")
            $null = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $ps.HadErrors | Should -BeFalse
            if ((Get-Content -Raw $Path) -match "Show-Example '") { @($ps.Streams.Information).Count | Should -BeGreaterThan 0 }   # the transcript
        }
        finally { $ps.Dispose() }
    }

    It 'examples/Demo.ps1 runs without error in a fresh pwsh' {
        $result = Invoke-InFreshPwsh -NoModule -ArgumentList (Join-Path $examplesDir 'Demo.ps1') { param($script) & $script | Out-Null }
        # With its output redirected, a child pwsh reports its other streams (host output, progress) on stderr as
        # CLIXML; an error record there is S="Error".
        $result.StdErr | Should -Not -Match 'S="Error"'
        $result.ExitCode | Should -Be 0
    }
}
